package io.makeparallel.cluster;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How one process takes part in a makeparallel cluster: the cluster's name, the address its
 * sockets bind to, the peers it asks to join, and its TLS material. Every socket of the cluster
 * transport binds to {@link #bind()}'s address; there is no multicast and no wildcard bind.
 *
 * <p>TLS 1.3 with mutual certificate authentication is the only mode unless {@link #plaintext()}
 * is asked for, which is allowed only when the bind address and every peer are loopback
 * addresses (a test on one machine).
 *
 * <p>Immutable and thread-safe. Bad values throw {@link IllegalArgumentException} naming the
 * setting and the value (never the password).
 */
public final class ClusterSettings {
  /** The failure-detection time when none is given: a silent member is suspected after it. */
  public static final Duration DEFAULT_FAILURE_TIMEOUT = Duration.ofSeconds(5);
  /** FD_SOCK2 listens at the bind port plus this. */
  public static final int FAILURE_PORT_OFFSET = 100;
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  private final String name;
  private final InetSocketAddress bind;
  private final List<InetSocketAddress> peers;
  private final Path keystore;
  private final Path truststore;
  private final String password;
  private final boolean plaintext;
  private final Duration failureTimeout;
  private final boolean runsCalls;

  private ClusterSettings(Builder b) {
    if (b.name == null || !NAME.matcher(b.name).matches()) {
      throw new IllegalArgumentException("cluster name must be 1-64 letters, digits, '.', '_' or '-', got "
          + quote(b.name));
    }
    if (b.bind == null) {
      throw new IllegalArgumentException("cluster bind address is required (HOST:PORT)");
    }
    if (b.bind.getPort() + FAILURE_PORT_OFFSET > 65535) {
      throw new IllegalArgumentException("cluster bind port must leave room for the failure detector at port+"
          + FAILURE_PORT_OFFSET + ", got " + b.bind.getPort());
    }
    if (b.failureTimeout == null || b.failureTimeout.compareTo(Duration.ofSeconds(1)) < 0
        || b.failureTimeout.compareTo(Duration.ofMinutes(10)) > 0) {
      throw new IllegalArgumentException("cluster failure timeout must be between 1 s and 10 min, got "
          + b.failureTimeout);
    }
    this.name = b.name;
    this.bind = b.bind;
    this.peers = List.copyOf(b.peers);
    this.plaintext = b.plaintext;
    this.failureTimeout = b.failureTimeout;
    this.runsCalls = b.runsCalls;
    if (plaintext) {
      if (!bind.getAddress().isLoopbackAddress() || !peers.stream().allMatch(p -> p.getAddress().isLoopbackAddress())) {
        throw new IllegalArgumentException("cluster plaintext is allowed only on loopback addresses, got bind "
            + hostPort(bind) + " and peers " + peers.stream().map(ClusterSettings::hostPort).toList());
      }
      this.keystore = null;
      this.truststore = null;
      this.password = null;
    } else {
      this.keystore = readable("cluster keystore", b.keystore);
      this.truststore = readable("cluster truststore", b.truststore);
      if (b.password == null || b.password.isEmpty()) {
        throw new IllegalArgumentException("cluster password (of the keystore and truststore) is required with TLS");
      }
      this.password = b.password;
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * The settings the environment gives ({@code MAKEPARALLEL_CLUSTER} and its
   * {@code _BIND}, {@code _PEERS}, {@code _KEYSTORE}, {@code _TRUSTSTORE}, {@code _PASSWORD},
   * {@code _FAILURE_TIMEOUT} (seconds), {@code _PLAINTEXT=1} and {@code _LOCAL=0}), or null when
   * {@code MAKEPARALLEL_CLUSTER} is unset or empty.
   */
  public static ClusterSettings fromEnvironment(Map<String, String> env) {
    String name = env.get("MAKEPARALLEL_CLUSTER");
    if (name == null || name.isEmpty()) {
      return null;
    }
    Builder b = builder().name(name);
    String bind = env.get("MAKEPARALLEL_CLUSTER_BIND");
    if (bind == null) {
      throw new IllegalArgumentException("MAKEPARALLEL_CLUSTER_BIND is required with MAKEPARALLEL_CLUSTER");
    }
    b.bind(bind);
    String peers = env.get("MAKEPARALLEL_CLUSTER_PEERS");
    if (peers != null && !peers.isBlank()) {
      b.peers(peers);
    }
    if (env.get("MAKEPARALLEL_CLUSTER_KEYSTORE") != null) {
      b.keystore(Path.of(env.get("MAKEPARALLEL_CLUSTER_KEYSTORE")));
    }
    if (env.get("MAKEPARALLEL_CLUSTER_TRUSTSTORE") != null) {
      b.truststore(Path.of(env.get("MAKEPARALLEL_CLUSTER_TRUSTSTORE")));
    }
    b.password(env.get("MAKEPARALLEL_CLUSTER_PASSWORD"));
    String ft = env.get("MAKEPARALLEL_CLUSTER_FAILURE_TIMEOUT");
    if (ft != null && !ft.isBlank()) {
      try {
        b.failureTimeout(Duration.ofMillis(Math.round(Double.parseDouble(ft.trim()) * 1000)));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("MAKEPARALLEL_CLUSTER_FAILURE_TIMEOUT must be seconds, got " + quote(ft));
      }
    }
    b.plaintext("1".equals(env.get("MAKEPARALLEL_CLUSTER_PLAINTEXT")));
    String local = env.get("MAKEPARALLEL_CLUSTER_LOCAL");
    if (local != null && !local.isBlank()) {
      switch (local.trim()) {
        case "0", "no", "false", "off" -> b.runsCalls(false);
        case "1", "yes", "true", "on" -> b.runsCalls(true);
        default -> throw new IllegalArgumentException("MAKEPARALLEL_CLUSTER_LOCAL must be 0 or 1, got " + quote(local));
      }
    }
    return b.build();
  }

  public String name() {
    return name;
  }

  public InetSocketAddress bind() {
    return bind;
  }

  public List<InetSocketAddress> peers() {
    return peers;
  }

  public boolean plaintext() {
    return plaintext;
  }

  public Duration failureTimeout() {
    return failureTimeout;
  }

  /** Whether this process runs calls too (its own and other members'); default true. */
  public boolean runsCalls() {
    return runsCalls;
  }

  Path keystore() {
    return keystore;
  }

  Path truststore() {
    return truststore;
  }

  String password() {
    return password;
  }

  /** This member's name in the cluster: its bind address. */
  public String nodeName() {
    return hostPort(bind);
  }

  @Override
  public String toString() {
    return "ClusterSettings[name=" + name + ", bind=" + hostPort(bind) + ", peers="
        + peers.stream().map(ClusterSettings::hostPort).toList() + ", " + (plaintext ? "PLAINTEXT" : "tls "
        + keystore + " / " + truststore) + ", failureTimeout=" + failureTimeout + "]";
  }

  static String hostPort(InetSocketAddress a) {
    String h = a.getAddress().getHostAddress();
    return (h.indexOf(':') >= 0 ? "[" + h + "]" : h) + ":" + a.getPort();
  }

  /** {@code HOST:PORT} (an IPv6 literal in brackets) as an address; the host must resolve. */
  static InetSocketAddress parseHostPort(String what, String s) {
    if (s == null) {
      throw new IllegalArgumentException(what + " must be HOST:PORT, got null");
    }
    String t = s.trim();
    int colon = t.lastIndexOf(':');
    if (colon <= 0 || colon == t.length() - 1) {
      throw new IllegalArgumentException(what + " must be HOST:PORT, got " + quote(s));
    }
    String host = t.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(t.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + " must be HOST:PORT, got " + quote(s));
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException(what + " port must be 1-65535, got " + quote(s));
    }
    InetAddress addr;
    try {
      addr = InetAddress.getByName(host);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(what + " host does not resolve: " + quote(s));
    }
    if (addr.isAnyLocalAddress() || addr.isMulticastAddress()) {
      throw new IllegalArgumentException(what + " must be one interface's address, not a wildcard or "
          + "multicast address, got " + quote(s));
    }
    return new InetSocketAddress(addr, port);
  }

  private static Path readable(String what, Path p) {
    if (p == null) {
      throw new IllegalArgumentException(what + " is required with TLS (a PKCS12 file)");
    }
    if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
      throw new IllegalArgumentException(what + " is not a readable file: " + quote(p.toString()));
    }
    return p.toAbsolutePath();
  }

  private static String quote(String s) {
    return s == null ? "null" : "'" + s + "'";
  }

  /** Not thread-safe. */
  public static final class Builder {
    private String name;
    private InetSocketAddress bind;
    private final List<InetSocketAddress> peers = new ArrayList<>();
    private Path keystore;
    private Path truststore;
    private String password;
    private boolean plaintext;
    private Duration failureTimeout = DEFAULT_FAILURE_TIMEOUT;
    private boolean runsCalls = true;

    private Builder() {}

    public Builder name(String name) {
      this.name = name;
      return this;
    }

    /** {@code HOST:PORT}: every socket of the transport binds to this host. */
    public Builder bind(String hostPort) {
      this.bind = parseHostPort("cluster bind address", hostPort);
      return this;
    }

    /** Comma-separated {@code HOST:PORT} of the members to ask when joining. */
    public Builder peers(String commaSeparated) {
      Objects.requireNonNull(commaSeparated, "peers");
      for (String p : commaSeparated.split(",")) {
        if (!p.isBlank()) {
          peers.add(parseHostPort("cluster peer", p));
        }
      }
      return this;
    }

    public Builder keystore(Path p) {
      this.keystore = p;
      return this;
    }

    public Builder truststore(Path p) {
      this.truststore = p;
      return this;
    }

    public Builder password(String password) {
      this.password = password;
      return this;
    }

    /** No TLS: allowed only when the bind address and every peer are loopback. */
    public Builder plaintext(boolean plaintext) {
      this.plaintext = plaintext;
      return this;
    }

    public Builder failureTimeout(Duration d) {
      this.failureTimeout = d;
      return this;
    }

    /** Whether this process runs calls too; false leaves them all to the other members. */
    public Builder runsCalls(boolean runsCalls) {
      this.runsCalls = runsCalls;
      return this;
    }

    public ClusterSettings build() {
      return new ClusterSettings(this);
    }
  }
}
