package rlhf4j.policy.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes files and folders atomically: into a temporary file or folder beside the target, then a
 * rename, so a crash or an error never leaves a half-written one where a good one was.
 */
public final class AtomicFiles {
  private static final Logger LOG = LoggerFactory.getLogger(AtomicFiles.class);

  /** Writes the content to a stream. */
  @FunctionalInterface
  public interface Writer {
    void writeTo(OutputStream out) throws IOException;
  }

  /** Fills a folder. */
  @FunctionalInterface
  public interface FolderWriter {
    void writeTo(Path folder) throws IOException;
  }

  private AtomicFiles() {}

  /** Replaces {@code file} with what {@code writer} writes, atomically. */
  public static void write(Path file, Writer writer) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path tmp = Files.createTempFile(parent, "." + file.getFileName(), ".tmp");
    try {
      try (OutputStream out = Files.newOutputStream(tmp)) {
        writer.writeTo(out);
      } catch (IOException e) {
        throw namingPath(e, file);
      }
      normalPermissions(tmp, FILE_PERMISSIONS);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Replaces {@code file} with {@code text} (UTF-8), atomically. */
  public static void writeString(Path file, String text) throws IOException {
    write(file, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
  }

  /**
   * Replaces the folder {@code target} with what {@code writer} puts into a fresh temporary folder
   * {@code .tmp-<name>-*} beside it: the files are fsynced, then renamed into place (an existing
   * target is moved aside first and deleted only once the new one is in), then the parent folder is
   * fsynced. On any error the temporary folder is removed and the old target stays.
   */
  public static void writeFolder(Path target, FolderWriter writer) throws IOException {
    Path parent = target.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    recoverFolder(target);
    Path tmp = Files.createTempDirectory(parent, ".tmp-" + target.getFileName() + "-");
    boolean moved = false;
    try {
      normalPermissions(tmp, FOLDER_PERMISSIONS);
      writer.writeTo(tmp);
      syncTree(tmp); // the data is on disk before the rename makes it the target
      replaceFolder(tmp, target);
      moved = true;
      syncFolder(parent);
    } finally {
      if (!moved) {
        deleteTree(tmp);
      }
    }
  }

  /** rw-r--r--: what a plain file write gives under the usual umask (temp files get rw-------). */
  private static final Set<PosixFilePermission> FILE_PERMISSIONS =
      PosixFilePermissions.fromString("rw-r--r--");

  /** rwxr-xr-x: what a plain mkdir gives under the usual umask (temp folders get rwx------). */
  private static final Set<PosixFilePermission> FOLDER_PERMISSIONS =
      PosixFilePermissions.fromString("rwxr-xr-x");

  /** Gives a temporary file or folder the permissions of a normal one (where POSIX applies). */
  private static void normalPermissions(Path p, Set<PosixFilePermission> perms) throws IOException {
    if (Files.getFileStore(p).supportsFileAttributeView(PosixFileAttributeView.class)) {
      Files.setPosixFilePermissions(p, perms);
    }
  }

  /**
   * An I/O error whose message names {@code target} (a full disk reports only "No space left on
   * device"); errors that name their file already are returned as they are.
   */
  private static IOException namingPath(IOException e, Path target) {
    if (e instanceof java.nio.file.FileSystemException) {
      return e;
    }
    return new IOException("writing " + target + ": " + e.getMessage(), e);
  }

  private static void replaceFolder(Path tmp, Path target) throws IOException {
    if (!Files.exists(target)) {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      return;
    }
    Path old = moveAside(target);
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      Files.move(old, target, StandardCopyOption.ATOMIC_MOVE);
      throw e;
    }
    deleteTree(old);
  }

  /**
   * Repairs what a crash during {@link #writeFolder} or {@link #deleteFolder} may have left beside
   * {@code target}: when {@code target} is missing but a moved-aside {@code .old-<name>-*} copy
   * exists (the crash fell between the two renames), the newest such copy is renamed back, since it
   * was complete; then leftover {@code .tmp-<name>-*} (unfinished writes) and {@code .old-<name>-*}
   * folders are deleted. Call it before reading a folder that {@link #writeFolder} maintains.
   *
   * @return whether {@code target} was restored from a moved-aside copy
   */
  public static boolean recoverFolder(Path target) throws IOException {
    Path parent = target.toAbsolutePath().getParent();
    if (parent == null || !Files.isDirectory(parent)) {
      return false;
    }
    String name = target.getFileName().toString();
    List<Path> olds = new ArrayList<>();
    List<Path> tmps = new ArrayList<>();
    try (Stream<Path> list = Files.list(parent)) {
      for (Path p : list.toList()) {
        String f = p.getFileName().toString();
        if (f.startsWith(".old-" + name + "-") && Files.isDirectory(p)) {
          olds.add(p);
        } else if (f.startsWith(".tmp-" + name + "-") && Files.isDirectory(p)) {
          tmps.add(p);
        }
      }
    }
    boolean restored = false;
    if (!Files.exists(target) && !olds.isEmpty()) {
      Path newest = olds.get(0);
      for (Path p : olds) {
        if (Files.getLastModifiedTime(p).compareTo(Files.getLastModifiedTime(newest)) > 0) {
          newest = p;
        }
      }
      Files.move(newest, target, StandardCopyOption.ATOMIC_MOVE);
      olds.remove(newest);
      restored = true;
      LOG.warn("restored {} from {} (a write was interrupted between its renames)", target, newest);
    }
    for (Path p : tmps) {
      deleteTree(p);
    }
    for (Path p : olds) {
      deleteTree(p);
    }
    if (restored || !tmps.isEmpty() || !olds.isEmpty()) {
      syncFolder(parent);
    }
    return restored;
  }

  /**
   * Deletes the folder {@code dir}, renaming it to {@code .old-<name>-*} first so a half-deleted
   * folder never passes for the original.
   */
  public static void deleteFolder(Path dir) throws IOException {
    deleteTree(moveAside(dir));
  }

  private static Path moveAside(Path dir) throws IOException {
    Path old =
        Files.createTempDirectory(
            dir.toAbsolutePath().getParent(), ".old-" + dir.getFileName() + "-");
    Files.delete(old);
    Files.move(dir, old, StandardCopyOption.ATOMIC_MOVE);
    return old;
  }

  /** Deletes {@code root} and everything below it; nothing if it does not exist. */
  public static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      List<Path> paths = new ArrayList<>(walk.toList());
      paths.sort(Comparator.reverseOrder());
      for (Path p : paths) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static void syncTree(Path root) throws IOException {
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.toList()) {
        if (Files.isRegularFile(p)) {
          try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.force(true);
          }
        } else {
          syncFolder(p);
        }
      }
    }
  }

  /** Flushes a folder's entries where the platform allows it (Linux does; some do not). */
  private static void syncFolder(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      LOG.debug("cannot fsync folder {}: {}", dir, e.toString());
    }
  }
}
