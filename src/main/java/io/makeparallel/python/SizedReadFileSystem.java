package io.makeparallel.python;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.Charset;
import java.nio.file.AccessMode;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryStream;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.graalvm.polyglot.io.FileSystem;
import org.graalvm.polyglot.io.IOAccess;

/**
 * A polyglot {@link FileSystem} that delegates everything and makes files whose reported size is
 * 0 but which have content ({@code /proc}, {@code /sys}, {@code /dev/urandom}) readable.
 *
 * <p>Why: GraalPy's Java POSIX layer never reads past {@code channel.size() - position()} of a
 * seekable channel, and the kernel reports size 0 for pseudo files, so
 * {@code open("/proc/self/status").read()} returned {@code ""} where CPython returns the text. The
 * channels this file system hands out report, when the real size is 0, "some data left" while a
 * one-byte positional peek finds data, and the real size once it finds none; every other call
 * reaches the real channel unchanged. Writable channels, non-file channels and non-empty files
 * are returned as they are.
 *
 * <p>Thread-safe when the delegate is (the default and read-only file systems are). Throws what
 * the delegate throws.
 */
final class SizedReadFileSystem implements FileSystem {
  /** How much a zero-size file claims to have left while it still has data: one read's worth. */
  static final long READ_WINDOW = 1 << 16;

  private final FileSystem delegate;

  SizedReadFileSystem(FileSystem delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  /** The IO access of a context: the host file system, read-only or not, with sized reads. */
  static IOAccess ioAccess(boolean readOnly) {
    FileSystem host = FileSystem.newDefaultFileSystem();
    if (readOnly) {
      return IOAccess.newBuilder().fileSystem(new SizedReadFileSystem(FileSystem.newReadOnlyFileSystem(host))).build();
    }
    // IOAccess.ALL gave sockets too; a custom file system alone would drop them.
    return IOAccess.newBuilder().fileSystem(new SizedReadFileSystem(host)).allowHostSocketAccess(true).build();
  }

  @Override
  public SeekableByteChannel newByteChannel(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs)
      throws IOException {
    SeekableByteChannel ch = delegate.newByteChannel(path, options, attrs);
    if (ch instanceof FileChannel fc && !options.contains(java.nio.file.StandardOpenOption.WRITE)
        && !options.contains(java.nio.file.StandardOpenOption.APPEND)) {
      return new PeekingChannel(fc);
    }
    return ch;
  }

  /** A read-only file channel whose {@link #size()} never hides content the file still has. */
  static final class PeekingChannel implements SeekableByteChannel {
    private final FileChannel ch;

    PeekingChannel(FileChannel ch) {
      this.ch = ch;
    }

    @Override
    public long size() throws IOException {
      long size = ch.size();
      if (size > 0) {
        return size;
      }
      long pos = ch.position();
      try {
        // Positional: the channel's own position (what Python's next read uses) is untouched.
        int n = ch.read(ByteBuffer.allocate(1), pos);
        return n > 0 ? pos + READ_WINDOW : Math.max(size, pos);
      } catch (IOException | UnsupportedOperationException e) {
        return size; // pipes and terminals cannot be peeked: keep the reported size
      }
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      return ch.read(dst);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      return ch.write(src);
    }

    @Override
    public long position() throws IOException {
      return ch.position();
    }

    @Override
    public SeekableByteChannel position(long newPosition) throws IOException {
      ch.position(newPosition);
      return this;
    }

    @Override
    public SeekableByteChannel truncate(long size) throws IOException {
      ch.truncate(size);
      return this;
    }

    @Override
    public boolean isOpen() {
      return ch.isOpen();
    }

    @Override
    public void close() throws IOException {
      ch.close();
    }
  }

  // ---- everything else is the delegate's ----------------------------------------------------

  @Override public Path parsePath(URI uri) { return delegate.parsePath(uri); }
  @Override public Path parsePath(String path) { return delegate.parsePath(path); }

  @Override
  public void checkAccess(Path path, Set<? extends AccessMode> modes, LinkOption... options) throws IOException {
    delegate.checkAccess(path, modes, options);
  }

  @Override
  public void createDirectory(Path dir, FileAttribute<?>... attrs) throws IOException {
    delegate.createDirectory(dir, attrs);
  }

  @Override public void delete(Path path) throws IOException { delegate.delete(path); }

  @Override
  public DirectoryStream<Path> newDirectoryStream(Path dir, DirectoryStream.Filter<? super Path> filter)
      throws IOException {
    return delegate.newDirectoryStream(dir, filter);
  }

  @Override public Path toAbsolutePath(Path path) { return delegate.toAbsolutePath(path); }

  @Override
  public Path toRealPath(Path path, LinkOption... options) throws IOException {
    return delegate.toRealPath(path, options);
  }

  @Override
  public Map<String, Object> readAttributes(Path path, String attributes, LinkOption... options) throws IOException {
    return delegate.readAttributes(path, attributes, options);
  }

  @Override
  public void setAttribute(Path path, String attribute, Object value, LinkOption... options) throws IOException {
    delegate.setAttribute(path, attribute, value, options);
  }

  @Override
  public void copy(Path source, Path target, CopyOption... options) throws IOException {
    delegate.copy(source, target, options);
  }

  @Override
  public void move(Path source, Path target, CopyOption... options) throws IOException {
    delegate.move(source, target, options);
  }

  @Override public void createLink(Path link, Path existing) throws IOException { delegate.createLink(link, existing); }

  @Override
  public void createSymbolicLink(Path link, Path target, FileAttribute<?>... attrs) throws IOException {
    delegate.createSymbolicLink(link, target, attrs);
  }

  @Override public Path readSymbolicLink(Path link) throws IOException { return delegate.readSymbolicLink(link); }
  @Override public void setCurrentWorkingDirectory(Path dir) { delegate.setCurrentWorkingDirectory(dir); }
  @Override public String getSeparator() { return delegate.getSeparator(); }
  @Override public String getPathSeparator() { return delegate.getPathSeparator(); }
  @Override public String getMimeType(Path path) { return delegate.getMimeType(path); }
  @Override public Charset getEncoding(Path path) { return delegate.getEncoding(path); }
  @Override public Path getTempDirectory() { return delegate.getTempDirectory(); }

  @Override
  public boolean isSameFile(Path a, Path b, LinkOption... options) throws IOException {
    return delegate.isSameFile(a, b, options);
  }

  @Override public long getFileStoreTotalSpace(Path p) throws IOException { return delegate.getFileStoreTotalSpace(p); }

  @Override
  public long getFileStoreUnallocatedSpace(Path p) throws IOException {
    return delegate.getFileStoreUnallocatedSpace(p);
  }

  @Override public long getFileStoreUsableSpace(Path p) throws IOException { return delegate.getFileStoreUsableSpace(p); }
  @Override public long getFileStoreBlockSize(Path p) throws IOException { return delegate.getFileStoreBlockSize(p); }
  @Override public boolean isFileStoreReadOnly(Path p) throws IOException { return delegate.isFileStoreReadOnly(p); }
}
