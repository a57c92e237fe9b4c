// undici's internal modules have no type declarations of their own; src/probe/undici.ts casts
// them to the public types.
declare module 'undici/lib/dispatcher/agent.js';
declare module 'undici/lib/dispatcher/client.js';
declare module 'undici/lib/dispatcher/dispatcher.js';
declare module 'undici/lib/api/api-request.js';
