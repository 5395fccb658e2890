package io.makeparallel.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The cluster tests' guard: they run only in a loopback-only network namespace, and check it. */
public final class Loopback {
  private Loopback() {}

  /** Skips the calling test unless its JVM runs in the namespace src/test/netns/bin/java makes. */
  public static void requireNamespace() {
    assumeTrue("loopback".equals(System.getProperty("makeparallel.netns")),
        "cluster tests run only in a loopback-only network namespace (src/test/netns/bin/java: unshare -n, "
            + "needs root or user namespaces); this JVM is not in one, so they are skipped");
  }

  /**
   * Fails if any TCP or UDP socket of this network namespace (only this JVM lives in it) is bound
   * to an address outside 127.0.0.0/8 and ::1, the wildcard included.
   */
  public static void assertNoSocketOutsideLoopback() throws IOException {
    List<String> outside = new ArrayList<>();
    for (String f : List.of("tcp", "tcp6", "udp", "udp6")) {
      Path p = Path.of("/proc/net", f);
      if (!Files.exists(p)) {
        continue;
      }
      List<String> lines = Files.readAllLines(p);
      for (String line : lines.subList(1, lines.size())) {
        String local = line.trim().split("\\s+")[1];
        String hex = local.substring(0, local.indexOf(':'));
        if (!loopback(hex)) {
          outside.add(f + " " + local);
        }
      }
    }
    assertEquals(List.of(), outside, "sockets bound outside loopback");
  }

  /** Polls {@code cond} every 50 ms; fails naming {@code what} after {@code seconds}. */
  public static void waitFor(String what, int seconds, java.util.function.BooleanSupplier cond)
      throws InterruptedException {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(seconds);
    while (!cond.getAsBoolean()) {
      org.junit.jupiter.api.Assertions.assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
      Thread.sleep(50);
    }
  }

  /** /proc/net address hex (IPv4: one little-endian word; IPv6: four of them) is loopback. */
  static boolean loopback(String hex) {
    if (hex.length() == 8) {
      return hex.endsWith("7F"); // little-endian: the first octet is the last byte
    }
    String v4mapped = "0000000000000000FFFF0000";
    String one = "00000000000000000000000001000000";
    return hex.equals(one) || hex.startsWith(v4mapped) && hex.endsWith("7F");
  }
}
