package io.makeparallel.policy;

/** Reports the share of system memory in use, in percent (0-100). Implementations are thread-safe. */
@FunctionalInterface
public interface MemoryProbe {
  double usedPercent();
}
