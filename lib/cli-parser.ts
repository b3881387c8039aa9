/**
 * The yargs set-up every command shares: values stay strings (each command
 * converts and checks them, naming the flag), unknown options are errors,
 * and errors are UserErrors, never an exit from inside yargs.
 */
import yargs from 'yargs';
import { UserError } from './errors.js';

export function strictParser() {
  return yargs()
    .parserConfiguration({
      'parse-numbers': false,
      'parse-positional-numbers': false,
      'camel-case-expansion': false,
      'strip-aliased': true,
      'strip-dashed': false,
      'boolean-negation': false,
    })
    .strictOptions()
    .help(false)
    .version(false)
    .exitProcess(false)
    .fail((msg, err) => {
      throw new UserError(msg ?? err?.message ?? 'cannot parse the command line');
    });
}

/**
 * yargs makes an option given twice an array, which the commands would
 * otherwise read as not given or take one of: refused, naming the option.
 * `lists`: options that may repeat (an expression in words).
 */
export function refuseRepeated(parsed: object, lists: readonly string[] = []): void {
  const repeated = Object.entries(parsed).find(([k, v]) => k !== '_' && !lists.includes(k) && Array.isArray(v));
  if (repeated !== undefined) throw new UserError(`--${repeated[0]} given more than once`);
}
