import { WINHTTP } from '../system/windows-settings.js';
import { windowsEffector } from './windows-setting.js';

/** The machine-wide WinHTTP proxy ("winhttp:proxy"), through netsh; needs an elevated run. */
export const winhttp = windowsEffector('winhttp', [WINHTTP.slice('winhttp:'.length)]);
