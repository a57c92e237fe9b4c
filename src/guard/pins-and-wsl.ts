import type { LoadedConfig } from '../config/load.js';
import { planHostsPinning } from '../effectors/hosts-pinning.js';
import { planWslTargets } from '../effectors/wsl-targets.js';
import type { Decision } from '../policy/decide.js';
import type { Pin } from '../policy/pin-hosts.js';
import { type DistroFollowing, wslGoValue } from '../policy/wsl-go-env.js';
import { createRunContext } from '../probe/run-context.js';
import type { Change } from '../settings/effector.js';

// Issue #20's two kinds of settings for one plan: the hosts file's pins (the mirrors' names
// proven over TLS, asked of the DNS server itself) and go inside each WSL distribution (the
// decision's GOPROXY and GOSUMDB). Facts gathered here; the rules are policy/pin-hosts.ts and
// policy/wsl-go-env.ts. Changes nothing.

export interface PinsAndWsl {
  /** Hosts entries first, then the distributions', in the one loop's order. */
  changes: Change[];
  /** The entries the hosts block holds once the changes are made, each with its proof. */
  pins: Pin[];
  /** Each WSL distribution, its go settings and how it follows the decision. */
  wsl: DistroFollowing[];
  notes: string[];
}

export async function planPinsAndWsl(
  loaded: LoadedConfig,
  env: NodeJS.ProcessEnv,
  decision: Pick<Decision, 'goproxy' | 'gosumdb'>,
): Promise<PinsAndWsl> {
  const { config } = loaded;
  const context = { env, config };
  const run = createRunContext(config, loaded.extraCas, config.deadlineMs, config.canary, loaded.route);
  try {
    const [pins, wsl] = await Promise.all([
      planHostsPinning(context, run.context),
      planWslTargets(context, {
        GOPROXY: wslGoValue(decision.goproxy),
        GOSUMDB: wslGoValue(decision.gosumdb),
      }),
    ]);
    return {
      changes: [...pins.changes, ...wsl.changes],
      pins: pins.pins,
      wsl: wsl.distros,
      notes: [...pins.notes, ...wsl.notes],
    };
  } finally {
    run.close();
  }
}
