// ---------------------------------------------------------------------------------------------
// Constants: transfer syntax UIDs and tags shared by the parsing modules

export const MEDIA_STORAGE_DIRECTORY = "1.2.840.10008.1.3.10";
export const IMPLICIT_LE = "1.2.840.10008.1.2";
export const EXPLICIT_LE = "1.2.840.10008.1.2.1";
export const DEFLATED_LE = "1.2.840.10008.1.2.1.99";
export const EXPLICIT_BE = "1.2.840.10008.1.2.2";
export const NATIVE_SYNTAXES = new Set([IMPLICIT_LE, EXPLICIT_LE, DEFLATED_LE, EXPLICIT_BE]);

export const PIXEL_DATA = "7FE00010";
export const EXTENDED_OFFSET_TABLE = "7FE00001";
