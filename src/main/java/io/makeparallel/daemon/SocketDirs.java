package io.makeparallel.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.util.Set;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import java.nio.channels.SocketChannel;

/**
 * Who may talk to a daemon: only its own user. The socket lives in a directory that only the
 * user can open (owner = this process's user, no group or other permission bits; checked, never
 * repaired), and every accepted connection's peer user ({@code SO_PEERCRED}) must be this
 * process's user as well, so neither a lax directory nor a root-owned helper opens a run in
 * another user's daemon. Static and stateless; thread-safe.
 */
final class SocketDirs {
  private SocketDirs() {}

  /** This process's uid, as the kernel sees it. */
  static int ownUid() throws IOException {
    return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
  }

  /**
   * Throws IOException saying why {@code dir} must not hold a daemon socket: missing, a link,
   * not owned by {@code uid}, or open to group or others.
   */
  static void check(Path dir, int uid) throws IOException {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException("daemon directory " + dir + " is not a directory");
    }
    int owner = (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    if (owner != uid) {
      throw new IOException("daemon directory " + dir + " belongs to uid " + owner + ", not " + uid);
    }
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
    for (PosixFilePermission p : perms) {
      if (p.name().startsWith("GROUP") || p.name().startsWith("OTHERS")) {
        throw new IOException("daemon directory " + dir + " is open to others ("
            + java.nio.file.attribute.PosixFilePermissions.toString(perms) + "); it must be rwx------");
      }
    }
  }

  /** True when the peer of {@code ch} runs as the user that owns {@code dir} (the daemon's). */
  static boolean samePeer(SocketChannel ch, UserPrincipal self) throws IOException {
    UnixDomainPrincipal peer = ch.getOption(ExtendedSocketOptions.SO_PEERCRED);
    return peer != null && peer.user().equals(self);
  }

  /** The user principal of this process (the owner of a file it just made). */
  static UserPrincipal self(Path dir) throws IOException {
    return Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS);
  }
}
