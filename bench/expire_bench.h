// `tally bench expire`: the recovery scheduler's two figures.
//
// 1. Expiry end to end: --pending pending transfers (default 1,000,000)
//    with a --timeout of 1 s are created on the embedded log with the
//    scheduler off; once every deadline has passed the node is started
//    again with the scheduler on, and the clock runs from start() until the
//    pipelines have applied an `expired` outcome for every transfer: scan
//    of the timer index, ExpirePending appended (fsync'd), applied,
//    committed. Reports expiries/s, the expiries appended (= --pending when
//    none is sent twice) and the CPU used; checks that no transfer is
//    pending and no timer is left.
// 2. An idle tick: --idle-timers timers (default 10,000,000) spread over
//    the partitions' timer indexes, none due; each of --ticks rounds wakes
//    the scheduler and ticks every partition (a woken tick scans; an idle
//    scheduler is not even woken). Reports the time and index keys read per
//    partition tick.
// --json: one object on stdout, "expire" and "idle" its parts (bench/run_json.h).
#pragma once

#include <string>
#include <vector>

namespace tally::bench {

int expire_bench_main(const std::vector<std::string>& args);

}  // namespace tally::bench
