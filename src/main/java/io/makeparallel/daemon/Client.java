package io.makeparallel.daemon;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The warm client that {@code ./makeparallel} starts when a daemon's socket exists: hands argv,
 * working directory, environment and terminal flags to the daemon, relays stdin on demand and
 * stdout/stderr in order, forwards Ctrl-C (once: the daemon cancels the run, 130; twice: exit
 * at once) and exits with the run's status. When no daemon answers or it refuses (changed jars,
 * another key) it runs the cold launcher as a child on the same file descriptors instead.
 *
 * <p>On a first run the launcher starts the daemon and this client at once
 * ({@code -Dmakeparallel.daemon.starting=PID}): the client waits, bounded, for that daemon to
 * bind its socket and runs there, so what the first run's JIT compiled stays for the next runs;
 * if the daemon dies or is slower than {@code -Dmakeparallel.daemon.wait} seconds (default
 * {@value #DEFAULT_WAIT_SECONDS}) the run goes cold as above.
 *
 * <p>{@code Client SOCKET KEY [launcher args...]} or {@code Client --control status|stop SOCKET...}.
 * Uses JDK classes only, so its JVM starts on a tiny class path. Runs once per process; its
 * socket writes are serialized on {@link #out}.
 */
public final class Client {
  /** Marks the cold child started after a refusal, so it does not try a daemon again. */
  static final String TRIED_ENV = "MAKEPARALLEL_DAEMON_TRIED";
  static final int DEFAULT_WAIT_SECONDS = 30;

  private final SocketChannel channel;
  private final OutputStream out;
  private final AtomicInteger presses = new AtomicInteger();
  private final ExecutorService stdinPump = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "makeparallel-client-stdin");
    t.setDaemon(true);
    return t;
  });

  private Client(SocketChannel channel) {
    this.channel = channel;
    this.out = Frames.output(channel);
  }

  public static void main(String[] args) throws IOException {
    if (args.length >= 2 && args[0].equals("--control")) {
      System.exit(Control.run(args[1], Arrays.asList(args).subList(2, args.length)));
    }
    if (args.length < 2) {
      System.err.println("usage: Client SOCKET KEY [args...] | --control status|stop SOCKET...");
      System.exit(2);
    }
    Path socket = Path.of(args[0]);
    List<String> argv = Arrays.asList(args).subList(2, args.length);
    String starting = System.getProperty("makeparallel.daemon.starting");
    SocketChannel ch = starting == null ? connect(socket)
        : awaitStarting(socket, Long.parseLong(starting), Long.getLong("makeparallel.daemon.wait", DEFAULT_WAIT_SECONDS));
    if (ch != null) {
      Client c = new Client(ch);
      if (c.hello(args[1], argv)) {
        int status = c.relay();
        halt(status);
      }
      ch.close();
    }
    halt(runCold(argv));
  }

  /** The daemon's channel, or null when nothing listens there (no socket, stale socket). */
  static SocketChannel connect(Path socket) {
    try {
      SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
      try {
        ch.connect(UnixDomainSocketAddress.of(socket));
        return ch;
      } catch (IOException e) {
        ch.close();
        return null;
      }
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * The channel of the daemon {@code pid} that is starting, once it listens on {@code socket};
   * null when it exits first or does not listen within {@code seconds}.
   */
  static SocketChannel awaitStarting(Path socket, long pid, long seconds) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (true) {
      SocketChannel ch = Files.exists(socket) ? connect(socket) : null;
      if (ch != null) {
        return ch;
      }
      if (ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true) || System.nanoTime() - deadline > 0) {
        return null;
      }
      // A bounded poll of another process's socket: it binds a second or so after its start.
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
  }

  /** Sends the run request; true when the daemon accepted it. */
  private boolean hello(String key, List<String> argv) {
    List<String> env = new ArrayList<>();
    for (Map.Entry<String, String> e : System.getenv().entrySet()) {
      env.add(e.getKey() + "=" + e.getValue());
    }
    byte[] payload = new Frames.Writer()
        .putInt(Frames.VERSION)
        .put(key)
        .put(Path.of("").toAbsolutePath().toString())
        .put(System.getProperty("makeparallel.terminals", ""))
        .put(argv)
        .put(env)
        .toBytes();
    try {
      send(Frames.HELLO, payload);
      Frames.Frame f = Frames.read(Frames.input(channel));
      return f != null && f.type() == Frames.ACCEPTED;
    } catch (IOException e) {
      return false; // a daemon going away right now: run cold
    }
  }

  /** Relays frames until the run's exit status arrives. */
  private int relay() {
    installInterrupt();
    OutputStream stdout = new FileOutputStream(FileDescriptor.out);
    OutputStream stderr = new FileOutputStream(FileDescriptor.err);
    InputStream in = Frames.input(channel);
    try {
      while (true) {
        Frames.Frame f = Frames.read(in);
        if (f == null) {
          break;
        }
        switch (f.type()) {
          case Frames.STDOUT -> writeQuietly(stdout, f.payload());
          case Frames.STDERR -> writeQuietly(stderr, f.payload());
          case Frames.STDIN_WANTED -> pumpStdin(f.asInt());
          case Frames.EXIT -> {
            return f.asInt();
          }
          default -> { } // a newer daemon's frame this client does not know: ignore it
        }
      }
    } catch (IOException | IllegalArgumentException e) {
      writeQuietly(stderr, Frames.ofText("makeparallel: lost the daemon during the run: " + e + "\n"));
      return presses.get() > 0 ? 130 : 1;
    }
    if (presses.get() > 0) {
      return 130;
    }
    writeQuietly(stderr, Frames.ofText("makeparallel: the daemon ended the run without an exit status\n"));
    return 1;
  }

  private static void writeQuietly(OutputStream o, byte[] b) {
    try {
      o.write(b);
    } catch (IOException e) {
      // the reader went away (a closed pipe): the run goes on, as python's would until it writes
    }
  }

  private void pumpStdin(int max) {
    stdinPump.execute(() -> {
      byte[] buf = new byte[Math.max(1, Math.min(max, 65536))];
      int n;
      try {
        n = STDIN.read(buf);
      } catch (IOException e) {
        n = -1;
      }
      try {
        send(Frames.STDIN, n <= 0 ? new byte[0] : Arrays.copyOf(buf, n));
      } catch (IOException e) {
        // the run is over
      }
    });
  }

  /** fd 0 unbuffered: read only what the run asks for, never more (the rest stays for others). */
  private static final InputStream STDIN = new FileInputStream(FileDescriptor.in);

  private void send(byte type, byte[] payload) throws IOException {
    synchronized (out) {
      Frames.write(out, type, payload);
    }
  }

  private void installInterrupt() {
    try {
      sun.misc.Signal.handle(new sun.misc.Signal("INT"), sig -> {
        if (presses.incrementAndGet() > 1) {
          halt(130);
        }
        try {
          send(Frames.INTERRUPT, new byte[0]);
        } catch (IOException e) {
          halt(130);
        }
      });
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      // SIGINT ignored or unavailable: the JVM's default applies
    }
  }

  /** No daemon: the cold launcher on this process's own descriptors, its status ours. */
  private static int runCold(List<String> argv) {
    String launcher = System.getProperty("makeparallel.launcher");
    if (launcher == null) {
      System.err.println("makeparallel: no daemon answered and no launcher is known (-Dmakeparallel.launcher)");
      return 1;
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(launcher);
    cmd.addAll(argv);
    ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
    pb.environment().put(TRIED_ENV, "1");
    try {
      // Ctrl-C reaches the child directly (same process group); this JVM only waits for it.
      sun.misc.Signal.handle(new sun.misc.Signal("INT"), sig -> { });
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      // SIGINT already ignored: nothing to do
    }
    try {
      Process p = pb.start();
      while (true) {
        try {
          return p.waitFor();
        } catch (InterruptedException e) {
          // nothing interrupts this thread on purpose; keep waiting for the child
        }
      }
    } catch (IOException e) {
      System.err.println("makeparallel: cannot start " + launcher + ": " + e.getMessage());
      return 1;
    }
  }

  private static void halt(int status) {
    System.out.flush();
    System.err.flush();
    Runtime.getRuntime().halt(status);
  }

  /** {@code --daemon status|stop}: one line per daemon socket given. */
  static final class Control {
    private Control() {}

    static int run(String what, List<String> sockets) {
      byte type;
      if (what.equals("status")) {
        type = Frames.STATUS;
      } else if (what.equals("stop")) {
        type = Frames.STOP;
      } else {
        System.err.println("makeparallel: --daemon takes status or stop, not '" + what + "'");
        return 2;
      }
      int found = 0;
      for (String s : sockets) {
        Path p = Path.of(s);
        if (!Files.exists(p)) {
          continue;
        }
        SocketChannel ch = connect(p);
        if (ch == null) {
          try {
            Files.deleteIfExists(p);
          } catch (IOException e) {
            // someone else's cleanup won
          }
          System.out.println("stale socket removed: " + s);
          continue;
        }
        found++;
        try (ch) {
          OutputStream o = Frames.output(ch);
          Frames.write(o, type, new byte[0]);
          Frames.Frame f = Frames.read(Frames.input(ch));
          System.out.println(f == null ? "no answer: " + s : f.asText());
        } catch (IOException e) {
          System.out.println("no answer (" + e.getMessage() + "): " + s);
        }
      }
      if (found == 0 && what.equals("status")) {
        System.out.println("no makeparallel daemon running");
      }
      return 0;
    }
  }
}
