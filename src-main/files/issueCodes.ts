// Codes of the issues the owner's file checks raise; surfaces word their advice from them.

/** A user's disk image names other files (backing file, external data file, extents). */
export const IMAGE_READS_OTHER_FILES = 'IMAGE_READS_OTHER_FILES';
