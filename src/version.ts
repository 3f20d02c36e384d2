/** cairn's version, recorded on every run. */
export const VERSION = '0.1.0';
