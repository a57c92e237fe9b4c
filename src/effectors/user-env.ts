import { USER_ENV_NAMES } from '../system/windows-settings.js';
import { windowsEffector } from './windows-setting.js';

/** Variables of the user environment (HKCU\Environment): HTTP(S)_PROXY, NO_PROXY, GOPROXY, GOSUMDB. */
export const userEnv = windowsEffector('user-env', USER_ENV_NAMES);
