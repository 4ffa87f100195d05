package dev.softmax.udf.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The share of this machine's CPU time that the hypervisor gave to other guests ("steal", the
 * eighth figure of /proc/stat's cpu line) over a stretch of time: a witness to how busy a shared
 * host was while a benchmark ran, which the load average inside the guest does not show. Linux
 * only; NaN elsewhere.
 */
final class CpuSteal {
  private static final Path STAT = Path.of("/proc/stat");
  private final long steal;
  private final long total;

  private CpuSteal(long steal, long total) {
    this.steal = steal;
    this.total = total;
  }

  /** The counters now (zeros when /proc/stat cannot be read). */
  static CpuSteal now() {
    try {
      // "cpu  user nice system idle iowait irq softirq steal guest guest_nice", in clock ticks
      String[] f = Files.readAllLines(STAT).get(0).trim().split("\\s+");
      long total = 0;
      for (int i = 1; i <= 8; i++) {
        total += Long.parseLong(f[i]);
      }
      return new CpuSteal(Long.parseLong(f[8]), total);
    } catch (IOException | RuntimeException e) {
      return new CpuSteal(0, 0);
    }
  }

  /** Percent of the CPU time since {@code start} that was stolen; NaN when nothing was counted. */
  double percentSince(CpuSteal start) {
    long ticks = total - start.total;
    return ticks <= 0 ? Double.NaN : 100.0 * (steal - start.steal) / ticks;
  }
}
