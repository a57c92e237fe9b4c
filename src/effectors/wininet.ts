import { WININET_BLOB, WININET_NAMES } from '../system/windows-settings.js';
import { windowsEffector } from './windows-setting.js';

/**
 * WinINet's per-user proxy (ProxyEnable, ProxyServer, ProxyOverride) and its connection blob,
 * backed up so restore is exact and written first so the named values after it are what counts.
 */
export const wininet = windowsEffector('wininet', [...WININET_NAMES, WININET_BLOB.slice('wininet:'.length)]);
