"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.RetrySchedule = exports.DEFAULT_SCHEDULE = void 0;
// When to try again. Fast while the port refuses (an RST costs sshd nothing), polite once sshd answers
// (one connection at a time, ≥ 1 s apart, exponential backoff with jitter): MaxStartups and fail2ban
// punish aggressive pollers.
const classify_1 = require("./classify");
exports.DEFAULT_SCHEDULE = {
    fastIntervalMs: 200,
    politeIntervalMs: 1000,
    maxIntervalMs: 10_000,
    steadyAttempts: 5,
    backoffFactor: 1.5,
    jitter: 0.2,
};
/**
 * The retry schedule of one wait. `next()` returns the pause before the next attempt. The polite pause stays at
 * its minimum for `steadyAttempts`, then grows; it starts again from the minimum whenever an attempt gets
 * further than any before it (e.g. from "connection
 * closed" to "key not accepted"), because the server has made progress.
 */
class RetrySchedule {
    constructor(options, random) {
        this.options = options;
        this.random = random;
        this.politeFailures = 0;
        this.furthest = -1;
    }
    next(failure, reached) {
        const { fastIntervalMs, politeIntervalMs, maxIntervalMs, steadyAttempts, backoffFactor, jitter, } = this.options;
        const rank = (0, classify_1.phaseRank)(reached);
        if (rank > this.furthest) {
            this.furthest = rank;
            this.politeFailures = 0;
        }
        const spread = 1 + jitter * (2 * this.random() - 1);
        if (!classify_1.CLASS_INFO[failure].costsServer) {
            return Math.round(Math.min(maxIntervalMs, fastIntervalMs * spread));
        }
        const growth = Math.max(0, this.politeFailures - steadyAttempts + 1);
        const base = Math.min(maxIntervalMs, politeIntervalMs * backoffFactor ** growth);
        this.politeFailures += 1;
        return Math.round(Math.min(maxIntervalMs, Math.max(politeIntervalMs, base * spread)));
    }
}
exports.RetrySchedule = RetrySchedule;
