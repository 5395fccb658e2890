package io.makeparallel.policy;

import oshi.SystemInfo;
import oshi.hardware.GlobalMemory;

/**
 * {@link MemoryProbe} backed by OSHI's view of physical memory. OSHI is set up on first use
 * only, so runtimes without a memory limit never pay for it. Thread-safe.
 */
public final class OshiMemoryProbe implements MemoryProbe {
  private volatile GlobalMemory memory;

  @Override
  public double usedPercent() {
    GlobalMemory m = memory;
    if (m == null) {
      synchronized (this) {
        if (memory == null) {
          memory = new SystemInfo().getHardware().getMemory();
        }
        m = memory;
      }
    }
    long total = m.getTotal();
    return total <= 0 ? 0.0 : 100.0 * (total - m.getAvailable()) / total;
  }
}
