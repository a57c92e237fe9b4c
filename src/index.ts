// The library entry (package.json "exports"): the integrity building blocks, for programs that
// want to check go.sum hashes or checksum-database notes themselves.
export { hashGoMod, hashZip } from './integrity/h1.js';
export { verifyNote } from './integrity/note.js';
export { parseVerifierKey } from './integrity/verifier-key.js';
