"use strict";
// Time as the engine sees it. Injected so schedules and deadlines are tested exactly and instantly.
Object.defineProperty(exports, "__esModule", { value: true });
exports.systemClock = void 0;
/** The longest delay Node's timers hold; a longer one would fire after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;
exports.systemClock = {
    now: () => performance.now(),
    date: () => new Date(),
    random: Math.random,
    /**
     * Sleeps until `performance.now()` has moved by `ms`: timers may fire a little early, and cannot hold more
     * than about 24.8 days, so the sleep re-arms until the time has really passed.
     */
    sleep(ms, signal) {
        return new Promise((resolve, reject) => {
            if (signal?.aborted)
                return reject(signal.reason);
            const until = performance.now() + ms;
            let timer = undefined;
            let arm = () => undefined;
            const onAbort = () => {
                clearTimeout(timer);
                reject(signal?.reason);
            };
            arm = () => {
                const left = until - performance.now();
                if (left <= 0) {
                    signal?.removeEventListener("abort", onAbort);
                    return resolve();
                }
                timer = setTimeout(arm, Math.min(Math.ceil(left), MAX_TIMER_MS));
            };
            signal?.addEventListener("abort", onAbort, { once: true });
            arm();
        });
    },
};
