/**
 * Preloaded by tests with `--import`: in this process the `zeromq` package cannot be loaded, as on a
 * platform its prebuilt binaries do not cover. Resolving it throws, whether imported or required.
 */
import { registerHooks } from 'node:module';

registerHooks({
  resolve(specifier, context, next) {
    if (specifier === 'zeromq') throw new Error('zeromq hidden by the test');
    return next(specifier, context);
  },
});
