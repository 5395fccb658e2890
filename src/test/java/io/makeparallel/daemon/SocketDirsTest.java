package io.makeparallel.daemon;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 10: a daemon socket only in a directory nobody but its user can open; peers checked. */
class SocketDirsTest {
  @TempDir Path tmp;

  private Path dir(String perms) throws IOException {
    Path d = Files.createDirectory(tmp.resolve("d" + perms.hashCode()));
    Files.setPosixFilePermissions(d, PosixFilePermissions.fromString(perms));
    return d;
  }

  @Test
  void aPrivateDirectoryIsAccepted() throws IOException {
    Path d = dir("rwx------");
    assertDoesNotThrow(() -> SocketDirs.check(d, SocketDirs.ownUid()));
  }

  @Test
  void aDirectoryOpenToTheGroupOrOthersIsRefused() throws IOException {
    for (String perms : new String[] {"rwxr-x---", "rwx---r-x", "rwx-----x", "rwxrwxrwx"}) {
      Path d = dir(perms);
      IOException e = assertThrows(IOException.class, () -> SocketDirs.check(d, SocketDirs.ownUid()), perms);
      assertTrue(e.getMessage().contains("open to others"), e.getMessage());
    }
  }

  @Test
  void aDirectoryOfAnotherUserIsRefused() throws IOException {
    Path d = dir("rwx------");
    int other = SocketDirs.ownUid() + 1;
    IOException e = assertThrows(IOException.class, () -> SocketDirs.check(d, other));
    assertTrue(e.getMessage().contains("belongs to uid"), e.getMessage());
  }

  @Test
  void aLinkIsRefused() throws IOException {
    Path d = dir("rwx------");
    Path link = Files.createSymbolicLink(tmp.resolve("link"), d);
    assertThrows(IOException.class, () -> SocketDirs.check(link, SocketDirs.ownUid()));
  }

  @Test
  void aPeerOfTheSameUserIsRecognised() throws IOException {
    Path d = dir("rwx------");
    Path sock = d.resolve("s.sock");
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(sock));
      try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
        c.connect(UnixDomainSocketAddress.of(sock));
        try (SocketChannel accepted = server.accept()) {
          assertTrue(SocketDirs.samePeer(accepted, SocketDirs.self(d)));
        }
      }
    }
  }
}
