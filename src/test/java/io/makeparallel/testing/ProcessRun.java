package io.makeparallel.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * What a finished process left: its exit status and all of its stdout and stderr. {@link #of}
 * runs one to its end, bounded (the launcher and daemon tests share it). Immutable; {@link #of}
 * keeps no state, so any thread may call it.
 */
public record ProcessRun(int status, String out, String err) {
  /**
   * Starts {@code pb} with its stdout and stderr sent to the files {@code out} and {@code err}
   * (files, not pipes: a process filling a pipe nobody reads would stall), writes {@code stdin}
   * and closes it, and waits for the end.
   *
   * @throws AssertionError when the process has not ended within {@code limit} (it is killed)
   * @throws IOException when it cannot be started or its output not read
   */
  public static ProcessRun of(ProcessBuilder pb, String stdin, Path out, Path err, Duration limit)
      throws IOException, InterruptedException {
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    Process p = pb.start();
    p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("process did not finish within " + limit.toSeconds() + " s: " + pb.command());
    }
    return new ProcessRun(p.exitValue(), Files.readString(out), Files.readString(err));
  }
}
