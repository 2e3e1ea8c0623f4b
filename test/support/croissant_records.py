"""Loads a Croissant file with mlcroissant and prints every record set's records as JSON.

    python croissant_records.py dataset-croissant.json
    -> {"cohorts": [{"cohorts/name": "train", ...}], "image_sets": [...]}

Used by the dataset tests (test/support/mlcroissant.ts): what an ML tool reading the file gets.
Bytes (mlcroissant's text values in some versions) are decoded as UTF-8.
"""

import json
import sys

import mlcroissant as mlc


def plain(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def main(path):
    dataset = mlc.Dataset(jsonld=path)
    out = {}
    for record_set in dataset.metadata.record_sets:
        out[record_set.uuid] = [
            {key: plain(value) for key, value in record.items()}
            for record in dataset.records(record_set=record_set.uuid)
        ]
    json.dump(out, sys.stdout, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1])
