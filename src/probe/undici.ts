// The parts of undici the probes use, imported one by one. undici's index also loads fetch,
// WebSocket and the other web APIs, and those pull in Node's own bundled copy of undici and
// compile its WASM parser a second time: measured here at about 45 MB of peak RSS per run.
import type { Agent as AgentType, Client as ClientType } from 'undici';
import requestApi from 'undici/lib/api/api-request.js';
import AgentModule from 'undici/lib/dispatcher/agent.js';
import ClientModule from 'undici/lib/dispatcher/client.js';
import DispatcherModule from 'undici/lib/dispatcher/dispatcher.js';

// undici's index does exactly this to give every dispatcher its request() method.
Object.assign((DispatcherModule as { prototype: object }).prototype, { request: requestApi });

export const Client = ClientModule as unknown as typeof ClientType;
export const Agent = AgentModule as unknown as typeof AgentType;
export type Client = ClientType;
export type Agent = AgentType;
