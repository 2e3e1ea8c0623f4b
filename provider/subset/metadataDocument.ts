// The part of GetImageSetMetadata's JSON document the provider reads: series and instances keyed by
// their UIDs, and each instance's frames (for the frames-per-copy quota). Shape:
// https://docs.aws.amazon.com/healthimaging/latest/devguide/get-image-set-metadata.html

/** One instance of a series in an image set's metadata document. */
export interface InstanceMetadata {
  ImageFrames: unknown[];
}

/** One series of an image set's metadata document: its instances keyed by SOPInstanceUID. */
export interface SeriesMetadata {
  DICOM?: Record<string, unknown>;
  Instances: Record<string, InstanceMetadata>;
}

/**
 * The image set metadata document as far as the provider reads it. Attribute values are compared
 * (drift) but never copied into outputs, logs or errors: only attribute names and counts are.
 */
export interface ImageSetMetadata {
  Patient?: { DICOM?: Record<string, unknown> };
  Study: { DICOM: Record<string, unknown>; Series: Record<string, SeriesMetadata> };
}
