export type * from './types.js';
export { sha1Hex, isSha1Hex } from './hash.js';
export {
  encodeArtifact,
  decodeArtifact,
  readArtifact,
  readArtifactSync,
  prepareFrames,
  registerSerializer,
  unregisterSerializer,
  registeredSerializers,
  registerClass,
  V8_ENCODING,
  RAW_ENCODING,
  type ArtifactSerializer,
  type ArtifactContext,
  type EncodedArtifact,
  type Compression,
} from './codec.js';
export { findUnstorable, valueTypeName, type ValueProblem } from './value-check.js';
export { LocalArtifactStore } from './local-artifact-store.js';
export { SqliteMetadataStore, type SqliteMetadataStoreOptions } from './sqlite-metadata-store.js';
export { SCHEMA_VERSION } from './sqlite-schema.js';
export {
  resolveStoreConfig,
  storeConfigAt,
  openArtifactStore,
  openMetadataStore,
  DATASTORE_ROOT_ENV,
  DATASTORE_DIR,
  type StoreConfig,
  type ArtifactStoreConfig,
  type MetadataStoreConfig,
} from './config.js';
export { previewValue, imageMime, type ArtifactPreview, type PreviewOptions, type PreviewColumn, type TreeNode, type TreeContainer, type TableCell } from './preview.js';
