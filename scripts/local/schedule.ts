/**
 * `npm run schedule -- <schedule-name> [--time <ISO>]`: runs a schedule of `busDefinition` (e.g.
 * `metrics-rollup`, `dunning-sweep`) in the running `npm run dev` stack at that scheduled time
 * (default now), after draining the event path so what the webhooks wrote is in.
 */
import { busDefinition } from '../../shared/events/bus.ts';
import { runScheduleAt } from './control.ts';
import { readLocalStackFile } from './env.ts';

const args = process.argv.slice(2);
const timeIndex = args.indexOf('--time');
const time = timeIndex >= 0 ? args[timeIndex + 1] : undefined;
const [name] =
  timeIndex >= 0 ? args.filter((_arg, index) => index !== timeIndex && index !== timeIndex + 1) : args;
try {
  const names = busDefinition.schedules.map((schedule) => schedule.name);
  if (!name || (timeIndex >= 0 && !time)) {
    throw new Error(`Usage: npm run schedule -- <${names.join('|')}> [--time <ISO>]`);
  }
  const stack = await readLocalStackFile();
  if (!stack.controlUrl) throw new Error('This `npm run dev` has no control endpoint; restart it.');
  const result = await runScheduleAt(stack.controlUrl, name, time);
  console.log(`ran ${result.schedule} for ${result.time}`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
