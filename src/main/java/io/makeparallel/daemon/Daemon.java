package io.makeparallel.daemon;

import io.makeparallel.python.WarmRun;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The warm daemon behind {@code ./makeparallel}: keeps one JVM with a warm GraalPy engine and
 * serves each client's run in a fresh context ({@link WarmRun}), several at once. Listens on a
 * Unix-domain socket only, in a directory only its user can open, and serves only peers of
 * its own user. Refuses, and exits, once the jars it loaded changed; exits by itself after
 * {@code --idle} seconds without a run, and on a {@link Frames#STOP} control frame.
 *
 * <p>{@code Daemon --socket PATH --key KEY --lib DIR [--idle SECONDS] [--lock DIR] [--warmup no]}.
 * Started detached by the launcher; logs to its own stderr (the launcher's log file).
 * {@code --warmup no}: bind at once, without the quiet warm-up run, because a client is already
 * waiting for this daemon and its run warms the engine (the launcher's first run). Thread-safe.
 */
public final class Daemon {
  static {
    // Before the logger below exists: the daemon logs as the launcher does (to its log file).
    if (System.getProperty("log4j2.configurationFile") == null) {
      System.setProperty("log4j2.configurationFile", "classpath:io/makeparallel/log4j2-launcher.xml");
    }
  }

  private static final Logger LOG = LogManager.getLogger(Daemon.class);

  private final Path socket;
  private final String key;
  private final JarSnapshot jars;
  private final long idleMillis;
  private final UserPrincipal self;
  private final Instant started = Instant.now();
  private final AtomicInteger running = new AtomicInteger();
  private final AtomicLong served = new AtomicLong();
  private volatile long idleSince = System.currentTimeMillis();
  private volatile ServerSocketChannel server;

  private Daemon(Path socket, String key, JarSnapshot jars, long idleMillis, UserPrincipal self) {
    this.socket = socket;
    this.key = key;
    this.jars = jars;
    this.idleMillis = idleMillis;
    this.self = self;
  }

  public static void main(String[] args) {
    RunLogs.install();
    Map<String, String> opts = Options.parse(args);
    Path lock = opts.containsKey("lock") ? Path.of(opts.get("lock")) : null;
    try {
      Path socket = Path.of(opts.get("socket")).toAbsolutePath();
      long idle = Long.parseLong(opts.getOrDefault("idle", "10800"));
      if (idle <= 0) {
        throw new IllegalArgumentException("--idle must be > 0 seconds, got " + idle);
      }
      Path dir = socket.getParent();
      SocketDirs.check(dir, SocketDirs.ownUid());
      Daemon d = new Daemon(socket, opts.get("key"), JarSnapshot.of(Path.of(opts.get("lib"))),
          TimeUnit.SECONDS.toMillis(idle), SocketDirs.self(dir));
      if (!"no".equals(opts.get("warmup"))) {
        d.warmUp();
      }
      if (!d.bind()) {
        LOG.info("another daemon already answers on {}; exiting", socket);
        System.exit(0);
      }
      removeLock(lock);
      d.serve();
    } catch (IOException | RuntimeException e) {
      LOG.error("makeparallel daemon not started: {}", e.toString());
      removeLock(lock);
      System.exit(1);
    }
  }

  private static void removeLock(Path lock) {
    if (lock != null) {
      try {
        Files.deleteIfExists(lock);
      } catch (IOException e) {
        LOG.debug("start lock {} left: {}", lock, e.toString());
      }
    }
  }

  /** One quiet run, so the first client's run finds the engine's code loaded and compiled. */
  private void warmUp() {
    InputStream none = InputStream.nullInputStream();
    OutputStream sink = OutputStream.nullOutputStream();
    int status = new WarmRun(List.of("-c", "import makeparallel as mp\nmp.parallel(abs)(-1).get()\n"),
        Path.of("/"), "", Map.of(), none, sink, sink).run();
    LOG.info("warm-up run ended with {}", status);
  }

  /** Binds the socket; false when a live daemon already answers there. */
  private boolean bind() throws IOException {
    if (Files.exists(socket)) {
      SocketChannel other = Client.connect(socket);
      if (other != null) {
        other.close();
        return false;
      }
      Files.deleteIfExists(socket); // stale: its daemon died
    }
    ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    s.bind(UnixDomainSocketAddress.of(socket));
    server = s;
    // A plain kill (SIGTERM, a CI job's clean-up) leaves no stale socket behind either.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        Files.deleteIfExists(socket);
      } catch (IOException e) {
        // best effort: a stale socket only costs the next client a refused connect
      }
    }, "makeparallel-daemon-unlink"));
    LOG.info("daemon pid {} serving on {}", ProcessHandle.current().pid(), socket);
    return true;
  }

  private void serve() {
    long step = Math.max(200, Math.min(idleMillis / 4, TimeUnit.SECONDS.toMillis(60)));
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "makeparallel-daemon-idle");
      t.setDaemon(true);
      return t;
    });
    timer.scheduleWithFixedDelay(this::checkIdle, step, step, TimeUnit.MILLISECONDS);
    AtomicInteger n = new AtomicInteger();
    while (true) {
      SocketChannel ch;
      try {
        ch = server.accept();
      } catch (IOException e) {
        LOG.info("daemon socket closed ({}); exiting", e.toString());
        break;
      }
      Thread t = new Thread(() -> handle(ch), "makeparallel-daemon-conn-" + n.incrementAndGet());
      t.setDaemon(true);
      t.start();
    }
    stop(0);
  }

  private void handle(SocketChannel ch) {
    OutputStream out = Frames.output(ch);
    boolean runStarted = false;
    try {
      if (!SocketDirs.samePeer(ch, self)) {
        LOG.warn("refused a connection from another user");
        Frames.write(out, Frames.REFUSED, Frames.ofText("another user's daemon"));
        return;
      }
      Frames.Frame f = Frames.read(Frames.input(ch));
      if (f == null) {
        return;
      }
      switch (f.type()) {
        case Frames.STATUS -> Frames.write(out, Frames.TEXT, Frames.ofText(describe()));
        case Frames.STOP -> {
          Frames.write(out, Frames.TEXT, Frames.ofText("stopped makeparallel daemon pid "
              + ProcessHandle.current().pid() + " (" + socket + ")"));
          stop(0);
        }
        case Frames.HELLO -> {
          Session.Request req = admit(f, out);
          if (req != null) {
            runStarted = true;
            serveRun(ch, req);
          }
        }
        default -> Frames.write(out, Frames.REFUSED, Frames.ofText("unknown frame " + (char) f.type()));
      }
    } catch (IOException e) {
      LOG.debug("connection ended: {}", e.toString());
    } finally {
      if (!runStarted) {
        try {
          ch.close();
        } catch (IOException e) {
          // already closed
        }
      }
    }
  }

  /** The run request, or null after refusing it (another version or key, changed jars). */
  private Session.Request admit(Frames.Frame hello, OutputStream out) throws IOException {
    Frames.Reader r = new Frames.Reader(hello.payload());
    int version = r.getInt();
    String theirKey = r.getString();
    String why = null;
    if (version != Frames.VERSION) {
      why = "protocol " + version + ", daemon speaks " + Frames.VERSION;
    } else if (!key.equals(theirKey)) {
      why = "key " + theirKey + ", daemon has " + key;
    } else if (!jars.unchanged()) {
      why = "the daemon's jars changed since it started";
    }
    if (why != null) {
      LOG.info("refused a run: {}", why);
      Frames.write(out, Frames.REFUSED, Frames.ofText(why));
      if (jars.unchanged()) {
        return null;
      }
      stop(0); // a rebuilt distribution: this daemon must never run anything again
      return null;
    }
    Session.Request req = Session.Request.read(r);
    Frames.write(out, Frames.ACCEPTED, new byte[0]);
    return req;
  }

  private void serveRun(SocketChannel ch, Session.Request req) {
    running.incrementAndGet();
    served.incrementAndGet();
    try {
      new Session(ch).run(req);
    } finally {
      idleSince = System.currentTimeMillis();
      running.decrementAndGet();
    }
  }

  /** Exits when idle too long, or when the jars changed (a rebuild: nobody will ask again). */
  private void checkIdle() {
    if (!jars.unchanged()) {
      LOG.info("the jars changed; exiting");
      stop(0);
    }
    if (running.get() == 0 && System.currentTimeMillis() - idleSince >= idleMillis) {
      LOG.info("idle for {} s; exiting", TimeUnit.MILLISECONDS.toSeconds(idleMillis));
      stop(0);
    }
  }

  /** One status line: pid, key, started, idle since, runs, heap, socket. */
  private String describe() {
    Runtime rt = Runtime.getRuntime();
    long usedMb = (rt.totalMemory() - rt.freeMemory()) >> 20;
    String idle = running.get() > 0 ? "busy (" + running.get() + " running)"
        : "idle since " + Instant.ofEpochMilli(idleSince);
    return "pid " + ProcessHandle.current().pid() + "  key " + key + "  started " + started + "  " + idle
        + "  runs " + served.get() + "  heap " + usedMb + "/" + (rt.maxMemory() >> 20) + " MB  " + socket;
  }

  /** Removes the socket first (no client may connect to a dying daemon), then exits. */
  private void stop(int status) {
    try {
      Files.deleteIfExists(socket);
    } catch (IOException e) {
      LOG.debug("removing {}: {}", socket, e.toString());
    }
    LOG.info("daemon pid {} exiting", ProcessHandle.current().pid());
    // Runs still going are cut off: their clients see the connection end.
    Runtime.getRuntime().halt(status);
  }
}
