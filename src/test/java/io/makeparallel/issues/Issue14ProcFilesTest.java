package io.makeparallel.issues;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.makeparallel.MakeParallel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.graalvm.polyglot.Context;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * Issue 14 item 11: files the kernel reports with size 0 ({@code /proc}) read as empty under
 * GraalPy, whose Java POSIX layer never reads past the channel's size. The default embedding
 * (read-only files) and a full context must both read them as CPython does; tests-py covers
 * worker interpreters and the ways of reading.
 */
@EnabledOnOs(OS.LINUX)
class Issue14ProcFilesTest {
  private static final String READ = "open('/proc/self/status').read()";

  @Test
  void readOnlyContextReadsProcFiles() throws Exception {
    String expected = Files.readString(Path.of("/proc/loadavg"));
    try (Context ctx = MakeParallel.contextBuilder().build()) {
      String status = ctx.eval("python", READ).asString();
      assertTrue(status.startsWith("Name:") && status.contains("VmRSS"), "status read: '" + status + "'");
      String loadavg = ctx.eval("python", "open('/proc/loadavg').readline()").asString();
      assertEquals(5, loadavg.trim().split(" ").length, loadavg);
      assertTrue(expected.length() > 0);
    }
  }

  @Test
  void fullContextReadsProcFilesAndStaysWritable() throws Exception {
    Path tmp = Files.createTempFile("issue14", ".txt");
    try (Context ctx = MakeParallel.contextBuilder().allowFileWrites(true).build()) {
      String status = ctx.eval("python", READ).asString();
      assertTrue(status.startsWith("Name:"), "status read: '" + status + "'");
      ctx.eval("python", "f = open(r'" + tmp + "', 'a'); f.write('x'); f.close()");
      ctx.eval("python", "f = open(r'" + tmp + "', 'a'); f.write('y'); f.close()");
      assertEquals("xy", Files.readString(tmp), "append to an empty file starts at 0");
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
