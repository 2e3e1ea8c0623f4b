// dcmjs ships no TypeScript types and @types/dcmjs does not exist; this covers what we use.
declare module "dcmjs" {
  type Element = { vr: string; Value?: unknown[]; _rawValue?: unknown; InlineBinary?: string };
  type ReadOptions = { ignoreErrors?: boolean; untilTag?: string; includeUntilTagValue?: boolean; noCopy?: boolean };
  type WriteOptions = { allowInvalidVRLength?: boolean; fragmentMultiframe?: boolean };
  type DicomDictInstance = { meta: Record<string, Element>; dict: Record<string, Element>; write(options?: WriteOptions): ArrayBuffer };
  export const data: {
    DicomMessage: { readFile(buf: ArrayBuffer, opts?: ReadOptions): DicomDictInstance };
    DicomMetaDictionary: {
      naturalizeDataset(d: Record<string, Element>): Record<string, any>;
      denaturalizeDataset(d: Record<string, any>): Record<string, Element>;
      nameMap: Record<string, { tag: string; vr: string; vm: string; name: string }>;
      dictionary: Record<string, { tag: string; vr: string; vm: string; name: string }>;
      punctuateTag(rawTag: string): string;
      unpunctuateTag(tag: string): string;
      uid(): string;
    };
    DicomDict: new (meta: Record<string, Element>) => DicomDictInstance;
  };
  export const log: { getLogger(name: string): { setLevel(l: string): void }; setLevel(l: string): void };
  const _default: { data: typeof data; log: typeof log };
  export default _default;
}
