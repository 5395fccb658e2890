package io.makeparallel.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.infinispan.configuration.global.GlobalConfigurationBuilder;
import org.infinispan.factories.GlobalComponentRegistry;
import org.infinispan.manager.DefaultCacheManager;
import org.infinispan.manager.EmbeddedCacheManager;
import org.infinispan.notifications.Listener;
import org.infinispan.notifications.cachemanagerlistener.annotation.Merged;
import org.infinispan.notifications.cachemanagerlistener.annotation.ViewChanged;
import org.infinispan.notifications.cachemanagerlistener.event.MergeEvent;
import org.infinispan.notifications.cachemanagerlistener.event.ViewChangedEvent;
import org.infinispan.remoting.transport.Address;
import org.infinispan.remoting.transport.Transport;
import org.infinispan.remoting.transport.jgroups.JGroupsTransport;

/**
 * This process's membership of a makeparallel cluster: an embedded Infinispan cache manager
 * (no caches of ours) on the {@link JGroupsStack}, checked after start and closed again if the
 * running transport is not the configured one. Requests reach the member's
 * {@link CarrierHandler}; {@link #send} delivers one to a member and returns its reply.
 *
 * <p>Thread-safe. Owns the transport: {@link #close} leaves the cluster.
 */
public final class ClusterNode implements AutoCloseable {
  private static final Logger LOG = LogManager.getLogger(ClusterNode.class);
  /**
   * Each running node of this process by node name (its bind address, unique), found through
   * the manager a request arrives with (a view of ours, not the same object).
   */
  private static final Map<String, ClusterNode> NODES = new ConcurrentHashMap<>();

  private final ClusterSettings settings;
  /** The running membership; replaced when this member finds itself left out and rejoins. */
  private volatile DefaultCacheManager manager;
  private final CarrierHandler handler;
  private final List<Consumer<Set<String>>> viewListeners = new CopyOnWriteArrayList<>();
  /** Checks that the coordinator still counts this member in (see {@link #checkMembership}). */
  private final ScheduledExecutorService watch;
  private int misses;
  /** Answers in a row of a coordinator that does not count this member in. */
  private int leftOut;
  private volatile boolean closed;

  private ClusterNode(ClusterSettings settings, CarrierHandler handler) {
    this.settings = settings;
    this.handler = handler;
    this.watch = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "makeparallel-cluster-watch");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Joins (or forms) the cluster {@code settings} names, answering requests with {@code
   * handler}. Blocks until this member is in the view.
   *
   * @throws IllegalStateException if the transport that started is not the configured one
   *     (nothing is left running)
   */
  public static ClusterNode start(ClusterSettings settings, CarrierHandler handler) {
    ClusterNode node = new ClusterNode(settings, handler);
    if (NODES.putIfAbsent(settings.nodeName(), node) != null) {
      node.watch.shutdownNow();
      throw new IllegalStateException("this process is already member " + settings.nodeName());
    }
    try {
      node.join();
    } catch (RuntimeException | Error e) {
      node.close();
      throw e;
    }
    long every = Math.max(1000, settings.failureTimeout().toMillis());
    node.watch.scheduleWithFixedDelay(node::checkMembership, every, every, TimeUnit.MILLISECONDS);
    LOG.info("joined cluster {} as {}: members {}", settings.name(), settings.nodeName(), node.members());
    return node;
  }

  /** Starts a cache manager on the configured stack, checks it, and makes it this node's. */
  private void join() {
    GlobalConfigurationBuilder g = GlobalConfigurationBuilder.defaultClusteredBuilder();
    g.transport().clusterName(settings.name()).nodeName(settings.nodeName())
        .addProperty(JGroupsTransport.CONFIGURATION_XML, JGroupsStack.xml(settings));
    g.serialization().addContextInitializer(new Carrier.Schema());
    g.jmx().disable();
    DefaultCacheManager m = new DefaultCacheManager(g.build(), false);
    manager = m;
    m.start();
    JGroupsTransport t = (JGroupsTransport) GlobalComponentRegistry.componentOf(m, Transport.class);
    JGroupsStack.verify(t.getChannel(), settings);
    m.addListener(new ViewWatcher());
  }

  /**
   * A member that froze (or was cut off) and came back may still believe it is in the view of a
   * coordinator that has long excluded it; JGroups does not merge that case (one coordinator).
   * So a member that is not the coordinator asks the coordinator for its members now and then,
   * and rejoins when it is not among them twice in a row (once may be a merge under way) or the
   * coordinator misses two answers. Calls of other members running here then end: their
   * callers counted them lost already.
   */
  private void checkMembership() {
    DefaultCacheManager m = manager;
    if (closed || m.isCoordinator()) {
      misses = 0;
      leftOut = 0;
      return;
    }
    String coordinator = String.valueOf(m.getCoordinator());
    String why = null;
    try {
      Carrier r = send(coordinator, Carrier.members(), settings.failureTimeout())
          .get(settings.failureTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
      if (r.kind() == Carrier.MEMBERS_ARE && !List.of(r.detail().split(",")).contains(name())) {
        if (++leftOut >= 2) {
          why = "the coordinator " + coordinator + " does not count it in";
        }
      } else {
        leftOut = 0;
      }
      misses = 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    } catch (Exception e) {
      if (++misses >= 2) {
        why = "the coordinator " + coordinator + " did not answer twice (" + e + ")";
      }
    }
    if (why != null && !closed) {
      LOG.warn("cluster member {} rejoins: {}", name(), why);
      misses = 0;
      leftOut = 0;
      try {
        m.stop();
        join();
        tellView();
      } catch (RuntimeException e) {
        LOG.error("cluster member {} could not rejoin: {}", settings.nodeName(), e.toString());
      }
    }
  }

  /** The members this node's manager lists, as a MEMBERS request's answer. */
  static String memberList(EmbeddedCacheManager manager) {
    return String.join(",", names(manager));
  }

  /** The names of the members {@code manager} lists; none before it has a view. */
  private static List<String> names(EmbeddedCacheManager manager) {
    List<String> names = new ArrayList<>();
    List<Address> ms = manager.getMembers();
    if (ms != null) {
      for (Address a : ms) {
        names.add(String.valueOf(a));
      }
    }
    return names;
  }

  /** Answers {@code request} with the handler of the node {@code manager} runs, if any. */
  static Carrier answer(EmbeddedCacheManager manager, Carrier request) {
    ClusterNode n = NODES.get(manager.getCacheManagerConfiguration().transport().nodeName());
    if (n == null) {
      return request.reply(Carrier.REFUSED, null, "this member runs no makeparallel tasks", 0);
    }
    return n.handler.handle(request, n);
  }

  public ClusterSettings settings() {
    return settings;
  }

  /** This member's name. */
  public String name() {
    return String.valueOf(manager.getAddress());
  }

  /** The names of the current members, this one included. */
  public List<String> members() {
    return names(manager);
  }

  /**
   * Calls {@code listener} with the member names after every change of membership: the view
   * the transport has when the listeners are told (never an older one from a late event), one
   * notification at a time.
   */
  public void onViewChange(Consumer<Set<String>> listener) {
    viewListeners.add(listener);
  }

  /**
   * Sends {@code request} to {@code member} (this one included, then without the network) and
   * completes with its reply, or exceptionally when the member left, failed or did not answer
   * within {@code timeout}.
   */
  public CompletableFuture<Carrier> send(String member, Carrier request, Duration timeout) {
    CompletableFuture<Carrier> reply = new CompletableFuture<>();
    List<Address> now = manager.getMembers();
    Address to = now == null ? null : now.stream().filter(a -> String.valueOf(a).equals(member)).findFirst().orElse(null);
    if (to == null) {
      reply.completeExceptionally(new IllegalStateException("no member " + member + " in the cluster"));
      return reply;
    }
    manager.executor().filterTargets(a -> a.equals(to)).timeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .submitConsumer(request, (Address from, Carrier v, Throwable err) -> {
          if (err != null) {
            reply.completeExceptionally(err);
          } else {
            reply.complete(v);
          }
        }).whenComplete((v, err) -> {
          if (err != null) {
            reply.completeExceptionally(err);
          } else if (!reply.isDone()) {
            reply.completeExceptionally(new IllegalStateException("member " + member + " sent no reply"));
          }
        });
    return reply;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    watch.shutdownNow();
    try {
      DefaultCacheManager m = manager;
      if (m != null) {
        m.stop();
      }
    } finally {
      NODES.remove(settings.nodeName(), this);
    }
  }

  /**
   * Tells the view listeners every new view. Infinispan reports a view that two or more views
   * merged into (members that started side by side and each formed a view, a frozen member
   * back, a healed network split) as a merge, not as a view change, so both are watched: a
   * caller that missed a merge would never use the members that came with it.
   */
  @Listener(sync = false)
  public final class ViewWatcher {
    @Merged
    public void merged(MergeEvent e) {
      viewChanged(e);
    }

    @ViewChanged
    public void viewChanged(ViewChangedEvent e) {
      tellView();
    }
  }

  /**
   * Tells the view listeners the current view: on every view event, and when a user of the node
   * finds its view differs from the transport's (a backup for an event missed). Events are
   * delivered asynchronously, so an event's own list may be older than the view by now; reading
   * the view and telling it under one lock keeps every listener's last call the newest view.
   */
  public void tellView() {
    synchronized (viewListeners) {
      Set<String> names = new java.util.LinkedHashSet<>(members());
      for (Consumer<Set<String>> l : viewListeners) {
        try {
          l.accept(names);
        } catch (RuntimeException ex) {
          LOG.warn("cluster view listener failed: {}", ex.toString());
        }
      }
    }
  }
}
