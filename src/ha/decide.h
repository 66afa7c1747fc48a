// The HA decision: a pure function from what one cycle observed, what earlier cycles remembered
// and the effective settings to a list of actions, a stable Reason, a fencing deadline and the
// memory for the next cycle. The agent (src/agent) observes, calls decide(), and acts.
//
// No I/O, clocks, threads or logging here (design.md section 1). Thread-safe (pure).
#pragma once

#include "ha/decision.h"

namespace pghalo::ha {

Decision decide(const Observation& observation, const Memory& memory, const HaConfig& config);

// What a running primary's synchronous_standby_names must be taken to be when this process does
// not know (memory empty: the agent was restarted): in synchronous mode, whom /sync lists for us
// ('*' in strict mode when nobody), which is what the previous process made PostgreSQL wait for
// at least. nullopt when memory knows, or synchronous mode is off, or PostgreSQL is no primary.
// decide() remembers it when the cycle set nothing, and the agent keeps it when a change to it
// did not run.
std::optional<SetSynchronousStandbyNames> assumed_sync_standby_names(const Observation& observation,
                                                                      const Memory& memory,
                                                                      const HaConfig& config);

}  // namespace pghalo::ha
