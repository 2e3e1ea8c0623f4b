import levelsJson from "./levels.json";
import type { DicomAttributes } from "../model/document";
import { PIXEL_DATA } from "./constants";
import { type DcmjsDataset, type DcmjsElement, DicomMetaDictionary } from "./dcmjsReader";
import type { Level } from "./types";

// ---------------------------------------------------------------------------------------------
// Attribute conversion: dcmjs's tag-keyed DICOM JSON model → HealthImaging's keyword-keyed values.
// Done from the un-naturalized dataset because it still carries every VR and the raw IS/DS strings.

const BINARY_VRS = new Set(["OB", "OW", "OD", "OF", "OL", "OV", "UN"]);
const NUMERIC_VRS = new Set(["US", "SS", "UL", "SL", "FL", "FD", "SV", "UV"]);

const LEVEL_OF_KEYWORD: ReadonlyMap<string, Level> = new Map(
  (["Patient", "Study", "Series"] as const).flatMap((level) => levelsJson.levels[level].map((e) => [e.keyword, level] as const)),
);

export function convertDataset(dataset: DcmjsDataset, vrs: Record<string, string>): DicomAttributes {
  const out: DicomAttributes = {};
  for (const tag of Object.keys(dataset).sort()) {
    const element = dataset[tag];
    if (tag === PIXEL_DATA || tag.endsWith("0000") || BINARY_VRS.has(element.vr)) continue; // pixels live in frames; group lengths carry nothing
    const keyword = keywordOf(tag);
    if (!keyword) vrs[tag] = element.vr;
    out[keyword ?? tag] = convertValue(tag, element, vrs);
  }
  return out;
}

/** Standard keyword, or undefined for private and unknown elements (which keep their 8-hex tag). */
function keywordOf(tag: string): string | undefined {
  const group = parseInt(tag.slice(0, 4), 16);
  if (group % 2 === 1) return undefined;
  const entry = DicomMetaDictionary.dictionary[DicomMetaDictionary.punctuateTag(tag)];
  return entry?.name ? entry.name.replace(/^RETIRED_/, "") : undefined;
}

function convertValue(tag: string, element: DcmjsElement, vrs: Record<string, string>): unknown {
  const values = valuesOf(tag, element, vrs);
  const meaningful = values.filter((v) => v !== null && v !== undefined && v !== "");
  if (meaningful.length === 0) return null;
  return values.length === 1 ? values[0] : values;
}

function valuesOf(tag: string, element: DcmjsElement, vrs: Record<string, string>): unknown[] {
  const value = element.Value ?? [];
  switch (element.vr) {
    case "SQ":
      return value.map((item) => convertDataset(item as DcmjsDataset, vrs));
    case "PN":
      return value.map(personNameString);
    case "AT":
      return value.map((v) => (typeof v === "number" ? v.toString(16).padStart(8, "0").toUpperCase() : v));
    case "UI":
      // dcmjs deletes characters that are not digits or dots ("1.2.x" reads as "1.2."): validate what the file says
      return rawStrings(element, /[\0 ]+$/) ?? value;
    case "IS":
    case "DS":
      // keep the DICOM string form (the real service does: "SeriesNumber": "1 ")
      return rawStrings(element) ?? value.map((v) => (v === null || v === undefined ? null : String(v)));
    default:
      if (tag === "00080005") return rawStrings(element) ?? value; // dcmjs rewrites the character set to ISO_IR 192 after decoding
      if (NUMERIC_VRS.has(element.vr)) return value.map(jsonSafeNumber);
      return value;
  }
}

function rawStrings(element: DcmjsElement, padding = /\0+$/): unknown[] | undefined {
  const raw = element._rawValue;
  if (Array.isArray(raw)) return raw.map((v) => (typeof v === "string" ? v.replace(padding, "") : v));
  if (typeof raw === "string") return raw === "" ? [] : raw.split("\\");
  return undefined;
}

/** PN in its DICOM string form: "Alphabetic=Ideographic=Phonetic", trailing empty groups dropped. */
function personNameString(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "string") return v;
  const pn = v as { Alphabetic?: string; Ideographic?: string; Phonetic?: string };
  return [pn.Alphabetic ?? "", pn.Ideographic ?? "", pn.Phonetic ?? ""].join("=").replace(/=+$/, "");
}

function jsonSafeNumber(v: unknown): unknown {
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  return v;
}

export function splitIntoLevels(attributes: DicomAttributes): Record<Level, DicomAttributes> {
  const out: Record<Level, DicomAttributes> = { Patient: {}, Study: {}, Series: {}, Instance: {} };
  for (const [key, value] of Object.entries(attributes)) out[LEVEL_OF_KEYWORD.get(key) ?? "Instance"][key] = value;
  return out;
}
