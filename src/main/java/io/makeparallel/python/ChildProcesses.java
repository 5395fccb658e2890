package io.makeparallel.python;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.graalvm.polyglot.io.ProcessHandler;

/**
 * The process handler of one worker context: starts subprocesses as polyglot's default handler
 * does ({@link ProcessBuilder}, the environment and folder polyglot computed, output redirected
 * to a stream copied by a thread) and remembers them, so that {@link #killAll()} can end what
 * the context's tasks started when the context is cancelled or closed. CPython's
 * {@code subprocess.run} kills its child when interrupted; a closed worker context would
 * otherwise leave it orphaned.
 *
 * <p>Thread-safe.
 */
final class ChildProcesses implements ProcessHandler {
  private static final Logger LOG = LogManager.getLogger(ChildProcesses.class);

  private final Set<Process> started = ConcurrentHashMap.newKeySet();
  /** Where inherited stdio goes (a warm daemon's run), or null for this process's own. */
  private final StdStreams streams;

  ChildProcesses() {
    this(null);
  }

  /** {@code streams}: what "inherited" stdio means for the children, null for the process's. */
  ChildProcesses(StdStreams streams) {
    this.streams = streams;
  }

  @Override
  public Process start(ProcessCommand command) throws IOException {
    boolean ownIn = streams != null && command.getInputRedirect().equals(Redirect.INHERIT);
    ProcessBuilder pb = new ProcessBuilder(command.getCommand())
        .redirectErrorStream(command.isRedirectErrorStream())
        .redirectInput(ownIn ? ProcessBuilder.Redirect.PIPE : translate(command.getInputRedirect()))
        .redirectOutput(translate(command.getOutputRedirect()))
        .redirectError(translate(command.getErrorRedirect()));
    pb.environment().clear();
    pb.environment().putAll(command.getEnvironment());
    if (command.getDirectory() != null) {
      pb.directory(new File(command.getDirectory()));
    }
    started.removeIf(p -> !p.isAlive());
    Process p = pb.start();
    started.add(p);
    OutputStream out = streamOf(command.getOutputRedirect(), streams == null ? null : streams.out());
    OutputStream err = command.isRedirectErrorStream() ? null
        : streamOf(command.getErrorRedirect(), streams == null ? null : streams.err());
    if (ownIn) {
      feed(p, streams.in(), command.getCommand().get(0));
    }
    if (out == null && err == null) {
      return p;
    }
    return new CopiedOutput(p, out, err, command.getCommand().get(0));
  }

  /**
   * Kills every process started here that is still running, and their descendants (a shell's
   * children, say): forcibly, as {@code subprocess.run} does on an interrupt.
   *
   * @return how many were running
   */
  int killAll() {
    int n = 0;
    for (Process p : List.copyOf(started)) {
      started.remove(p);
      if (!p.isAlive()) {
        continue;
      }
      n++;
      // Listed before the parent dies: afterwards they are reparented and no longer its.
      List<ProcessHandle> tree = new ArrayList<>();
      try (Stream<ProcessHandle> d = p.descendants()) {
        d.forEach(tree::add);
      }
      p.destroyForcibly();
      tree.forEach(ProcessHandle::destroyForcibly);
      LOG.debug("killed subprocess {} and {} descendant(s) of a closed worker context", p.pid(), tree.size());
    }
    return n;
  }

  /**
   * Copies the run's stdin into the child until either ends. The copier may have asked for one
   * more chunk when the child exits; that chunk is lost, as a child's unread pipe buffer is.
   */
  private static void feed(Process p, InputStream in, String name) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[8192];
      try (OutputStream to = p.getOutputStream()) {
        int n;
        while (p.isAlive() && (n = in.read(buf)) >= 0) {
          to.write(buf, 0, n);
          to.flush();
        }
      } catch (IOException e) {
        LOG.debug("feeding the stdin of {}: {}", name, e.toString());
      }
    }, "makeparallel-subprocess-" + name + " [stdin]");
    t.setDaemon(true);
    t.start();
  }

  private ProcessBuilder.Redirect translate(Redirect r) {
    if (r.equals(Redirect.INHERIT) && streams == null) {
      return ProcessBuilder.Redirect.INHERIT;
    }
    return ProcessBuilder.Redirect.PIPE; // PIPE, or a stream we copy into
  }

  /** The stream to copy output into, or null when the process's own (inherit) or a pipe. */
  private static OutputStream streamOf(Redirect r, OutputStream inherited) {
    if (r.equals(Redirect.INHERIT)) {
      return inherited;
    }
    return r.equals(Redirect.PIPE) ? null : r.getOutputStream();
  }

  /** A process whose stdout and/or stderr are copied into the streams polyglot asked for. */
  private static final class CopiedOutput extends Process {
    private final Process delegate;
    private final Thread outCopier;
    private final Thread errCopier;

    CopiedOutput(Process delegate, OutputStream out, OutputStream err, String name) {
      this.delegate = delegate;
      this.outCopier = out == null ? null : copier(name + " [stdout]", delegate.getInputStream(), out);
      this.errCopier = err == null ? null : copier(name + " [stderr]", delegate.getErrorStream(), err);
    }

    private static Thread copier(String name, InputStream in, OutputStream out) {
      Thread t = new Thread(() -> {
        try {
          in.transferTo(out);
          out.flush();
        } catch (IOException e) {
          LOG.debug("copying the output of {}: {}", name, e.toString());
        }
      }, "makeparallel-subprocess-" + name);
      t.setDaemon(true);
      t.start();
      return t;
    }

    @Override public OutputStream getOutputStream() { return delegate.getOutputStream(); }
    @Override public InputStream getInputStream() {
      return outCopier == null ? delegate.getInputStream() : InputStream.nullInputStream();
    }
    @Override public InputStream getErrorStream() {
      return errCopier == null ? delegate.getErrorStream() : InputStream.nullInputStream();
    }
    @Override public int exitValue() { return delegate.exitValue(); }
    @Override public void destroy() { delegate.destroy(); }
    @Override public boolean isAlive() { return delegate.isAlive(); }
    @Override public long pid() { return delegate.pid(); }
    @Override public ProcessHandle toHandle() { return delegate.toHandle(); }
    @Override public boolean supportsNormalTermination() { return delegate.supportsNormalTermination(); }

    @Override public Process destroyForcibly() {
      delegate.destroyForcibly();
      return this;
    }

    @Override public int waitFor() throws InterruptedException {
      int status = delegate.waitFor();
      joinCopiers();
      return status;
    }

    @Override public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
      boolean done = delegate.waitFor(timeout, unit);
      if (done) {
        joinCopiers();
      }
      return done;
    }

    /** All output is delivered before the caller learns that the process ended. */
    private void joinCopiers() throws InterruptedException {
      if (outCopier != null) {
        outCopier.join();
      }
      if (errCopier != null) {
        errCopier.join();
      }
    }
  }
}
