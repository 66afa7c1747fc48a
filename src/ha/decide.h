// The HA decision: a pure function from what one cycle observed, what earlier cycles remembered
// and the effective settings to a list of actions, a stable Reason, a fencing deadline and the
// memory for the next cycle. The agent (src/agent) observes, calls decide(), and acts.
//
// No I/O, clocks, threads or logging here (design.md section 1). Thread-safe (pure).
#pragma once

#include "ha/decision.h"

namespace pghalo::ha {

Decision decide(const Observation& observation, const Memory& memory, const HaConfig& config);

}  // namespace pghalo::ha
