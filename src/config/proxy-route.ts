/**
 * The proxy variables go reads (HTTPS_PROXY, HTTP_PROXY, NO_PROXY), parsed: part of the loaded
 * config because they come from the environment like the rest of it. src/probe/route.ts reads
 * them from the environment and decides which URL goes through which proxy.
 */
export interface ProxyRoute {
  https?: URL;
  http?: URL;
  noProxy: string[];
}
