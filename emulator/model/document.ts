// The image set metadata document, shaped as GetImageSetMetadata returns it
// (SchemaVersion / Patient / Study / Series / Instances / ImageFrames).

export type DicomAttributes = Record<string, unknown>;

export interface FrameChecksum {
  Width: number;
  Height: number;
  Checksum: number;
}

export interface ImageFrameDocument {
  ID: string;
  PixelDataChecksumFromBaseToFullResolution: FrameChecksum[];
  MinPixelValue?: number;
  MaxPixelValue?: number;
  FrameSizeInBytes: number;
}

export interface InstanceDocument {
  DICOM: DicomAttributes;
  DICOMVRs: Record<string, string>;
  StoredTransferSyntaxUID: string;
  ChecksumType?: string;
  ImageFrames: ImageFrameDocument[];
}

export interface SeriesDocument {
  DICOM: DicomAttributes;
  Instances: Record<string, InstanceDocument>;
}

export interface StudyDocument {
  DICOM: DicomAttributes;
  Series: Record<string, SeriesDocument>;
}

export interface ImageSetDocument {
  SchemaVersion: "1.1";
  DatastoreID: string;
  ImageSetID: string;
  Patient: { DICOM: DicomAttributes };
  Study: StudyDocument;
}

/** Number of instances and frames in a document (quotas and copy duration grow with these). */
export function countDocument(doc: Pick<ImageSetDocument, "Study">): { series: number; instances: number; frames: number } {
  let series = 0;
  let instances = 0;
  let frames = 0;
  for (const s of Object.values(doc.Study.Series)) {
    series++;
    for (const i of Object.values(s.Instances)) {
      instances++;
      frames += i.ImageFrames.length;
    }
  }
  return { series, instances, frames };
}
