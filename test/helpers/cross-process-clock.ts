/**
 * Preloaded (`node --import`) into a flow instance of test/integration/cross-process.test.ts whose whole
 * clock must be wrong: before any other module runs, `Date` and `Date.now` are replaced by versions
 * running `CROSS_PROCESS_CLOCK_SKEW_MS` ahead, so `new Date()`, `Date.now()` and everything built on them
 * (the flow's default `now`, journal entry names, callback receipt times, pg's timestamps) read the skewed
 * time. Monotonic timers (`setTimeout`, `performance.now`) are unaffected, as on a real machine whose
 * wall clock is off.
 */
const skewMs = Number(process.env['CROSS_PROCESS_CLOCK_SKEW_MS'] ?? 0);

if (Number.isFinite(skewMs) && skewMs !== 0) {
  const RealDate = Date;
  const now = () => RealDate.now() + skewMs;
  const SkewedDate: DateConstructor = new Proxy(RealDate, {
    construct(target, args, newTarget) {
      return Reflect.construct(target, args.length === 0 ? [now()] : args, newTarget) as object;
    },
    apply() {
      return new RealDate(now()).toString();
    },
    get(target, key, receiver) {
      return key === 'now' ? now : Reflect.get(target, key, receiver);
    },
  });
  globalThis.Date = SkewedDate;
}
