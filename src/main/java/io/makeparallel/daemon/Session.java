package io.makeparallel.daemon;

import io.makeparallel.python.WarmRun;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * One accepted run on the daemon: relays the run's stdout/stderr as frames (through one writer
 * thread, so guest threads never touch the socket and a cancelled guest thread cannot close it),
 * hands it stdin when it asks, and turns Ctrl-C or a vanished client into a cancel. The exit
 * frame goes out once: when the run ends, or a few seconds after a cancel if the run's
 * clean-up is still busy then (the client must not wait for it).
 *
 * <p>{@link #run} once on the connection's thread; the other members are called by its helper
 * threads. Thread-safe.
 */
final class Session {
  private static final Logger LOG = LogManager.getLogger(Session.class);
  /** After a cancel, how long the run's clean-up may take before the client is told anyway. */
  private static final long EXIT_AFTER_CANCEL_MILLIS = 3_000;
  private static final Frames.Frame END = new Frames.Frame((byte) 0, new byte[0]);

  private final SocketChannel channel;
  private final InputStream fromClient;
  private final OutputStream toClient;
  private final BlockingQueue<Frames.Frame> outbox = new ArrayBlockingQueue<>(256);
  private final AtomicBoolean exitSent = new AtomicBoolean();
  private final CountDownLatch finished = new CountDownLatch(1);
  private final StdinRelay stdin;
  private volatile boolean clientGone;
  private volatile WarmRun run;

  Session(SocketChannel channel) {
    this.channel = channel;
    this.fromClient = Frames.input(channel);
    this.toClient = Frames.output(channel);
    this.stdin = new StdinRelay(this);
  }

  /** Decodes a {@link Frames#HELLO} payload after version and key: cwd, terminals, argv, env. */
  record Request(Path cwd, String terminals, List<String> argv, Map<String, String> env) {
    static Request read(Frames.Reader r) throws IOException {
      Path cwd = Path.of(r.getString());
      String terminals = r.getString();
      List<String> argv = r.getList();
      Map<String, String> env = new HashMap<>();
      for (String kv : r.getList()) {
        int eq = kv.indexOf('=');
        if (eq > 0) {
          env.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
      }
      if (!cwd.isAbsolute()) {
        throw new IOException("cwd '" + cwd + "' is not absolute");
      }
      return new Request(cwd, terminals, argv, env);
    }
  }

  /** Runs the request to its end and tells the client its status. */
  void run(Request req) {
    Thread writer = new Thread(this::writeLoop, "makeparallel-daemon-writer");
    writer.setDaemon(true);
    writer.start();
    FrameStream err = new FrameStream(Frames.STDERR);
    WarmRun r = new WarmRun(req.argv(), req.cwd(), req.terminals(), req.env(), stdin,
        new FrameStream(Frames.STDOUT), err);
    run = r;
    Thread reader = new Thread(this::readLoop, "makeparallel-daemon-reader");
    reader.setDaemon(true);
    reader.start();
    int status;
    RunLogs.Sink logs = RunLogs.open(err, req.env());
    try {
      status = r.run();
    } finally {
      RunLogs.close(logs);
      finished.countDown();
    }
    // Before the status: the client's next run (usually the same script, from the same shell)
    // must find the standby prepared, not race it.
    WarmRun.prepareNext(req.env(), req.cwd(), r.workersUsed());
    sendExit(status);
    try {
      writer.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closeQuietly();
  }

  private void readLoop() {
    try {
      while (true) {
        Frames.Frame f = Frames.read(fromClient);
        if (f == null) {
          break;
        }
        if (f.type() == Frames.STDIN) {
          stdin.supply(f.payload());
        } else if (f.type() == Frames.INTERRUPT) {
          cancel();
        }
      }
    } catch (IOException e) {
      LOG.debug("client connection: {}", e.toString());
    }
    // The client is gone (exited, killed, second Ctrl-C): its run must not live on.
    clientGone = true;
    stdin.supply(null);
    if (!exitSent.get()) {
      cancel();
    }
  }

  private void cancel() {
    WarmRun r = run;
    if (r == null) {
      return;
    }
    r.cancel(130);
    Thread t = new Thread(() -> {
      try {
        if (!finished.await(EXIT_AFTER_CANCEL_MILLIS, TimeUnit.MILLISECONDS)) {
          LOG.warn("a cancelled run is still cleaning up after {} ms; told its client it ended",
              EXIT_AFTER_CANCEL_MILLIS);
          sendExit(r.forcedStatus());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "makeparallel-daemon-exit-watch");
    t.setDaemon(true);
    t.start();
  }

  private void sendExit(int status) {
    if (exitSent.compareAndSet(false, true)) {
      enqueue(new Frames.Frame(Frames.EXIT, Frames.ofInt(status)));
      enqueue(END);
    }
  }

  /** Queues a frame for the client; dropped once the client is gone. */
  void enqueue(Frames.Frame f) {
    if (clientGone) {
      return;
    }
    try {
      while (!outbox.offer(f, 100, TimeUnit.MILLISECONDS)) {
        if (clientGone) {
          return;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void writeLoop() {
    try {
      while (true) {
        Frames.Frame f = outbox.poll(200, TimeUnit.MILLISECONDS);
        if (f == null) {
          // The client may have gone between the exit frame and END (which is then dropped).
          if (clientGone && exitSent.get()) {
            return;
          }
          continue;
        }
        if (f == END) {
          return;
        }
        Frames.write(toClient, f.type(), f.payload());
      }
    } catch (IOException e) {
      clientGone = true;
      outbox.clear();
      LOG.debug("client went away while writing: {}", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  void closeQuietly() {
    try {
      channel.close();
    } catch (IOException e) {
      // already closed
    }
  }

  boolean clientGone() {
    return clientGone;
  }

  /** The run's stdout or stderr: each write becomes one frame, in order with the other stream. */
  private final class FrameStream extends OutputStream {
    private final byte type;

    FrameStream(byte type) {
      this.type = type;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return;
      }
      if (Thread.currentThread().isInterrupted()) {
        throw new InterruptedIOException("run cancelled");
      }
      enqueue(new Frames.Frame(type, Arrays.copyOfRange(b, off, off + len)));
    }
  }
}
