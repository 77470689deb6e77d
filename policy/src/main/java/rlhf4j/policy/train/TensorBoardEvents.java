package rlhf4j.policy.train;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import rlhf4j.policy.io.AtomicFiles;

/**
 * A TensorBoard event file of scalars, written without TensorFlow or protobuf: {@link TfRecords}
 * framing around hand-encoded {@code Event} messages ({@link EventProtos}). The file is named
 * {@code events.out.tfevents.<seconds>.<host>.<suffix>} (TensorBoard reads any file whose name
 * contains {@code tfevents}; {@code <seconds>} is the creation time, moved on by a second while a
 * file of that name exists so that names stay unique and sort in writing order). Its first record
 * is the {@code file_version "brain.Event:2"} event; each {@link #write} adds one event with one
 * {@code simple_value} per metric (the tag is the metric's key) and flushes, so a crashed run keeps
 * the steps it logged. NaN and infinite values are written as such (a float holds them; TensorBoard
 * shows them), {@code null} values are left out.
 *
 * <p>{@link MetricsWriter} keeps one of these beside every {@code metrics.jsonl}; {@code
 * tensorboard --logdir RUN_DIR} then shows the run.
 */
public final class TensorBoardEvents implements AutoCloseable {
  /** Every event file's name starts with this. */
  public static final String PREFIX = "events.out.tfevents.";

  /** The name suffix of the event files beside {@code metrics.jsonl}. */
  public static final String SUFFIX = "rlhf4j";

  private final Path file;
  private final OutputStream out;

  private TensorBoardEvents(Path file, OutputStream out) {
    this.file = file;
    this.out = out;
  }

  /**
   * A new event file in {@code dir} (created when missing) whose name ends in {@code .suffix},
   * holding its version record.
   */
  public static TensorBoardEvents open(Path dir, String suffix) throws IOException {
    Files.createDirectories(dir);
    long seconds = System.currentTimeMillis() / 1000;
    while (true) {
      Path file = dir.resolve(PREFIX + seconds + "." + Host.NAME + "." + suffix);
      OutputStream raw;
      try {
        raw = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      } catch (FileAlreadyExistsException e) {
        seconds++;
        continue;
      }
      TensorBoardEvents events = new TensorBoardEvents(file, new BufferedOutputStream(raw));
      try {
        events.append(EventProtos.fileVersion(System.currentTimeMillis() / 1e3));
      } catch (UncheckedIOException e) {
        events.close();
        throw e.getCause();
      }
      return events;
    }
  }

  /**
   * The suffix of the event files kept beside {@code metricsFile}: {@value #SUFFIX} for {@code
   * metrics.jsonl}, {@code rlhf4j.<name>} for another file (the quickstart's {@code
   * sft_metrics.jsonl} gives {@code rlhf4j.sft_metrics}), so that files of different metrics files
   * in one folder are told apart.
   */
  public static String suffixFor(Path metricsFile) {
    String name = metricsFile.getFileName().toString();
    String stem = name.endsWith(".jsonl") ? name.substring(0, name.length() - 6) : name;
    return stem.equals("metrics") ? SUFFIX : SUFFIX + "." + stem.replaceAll("[^A-Za-z0-9_-]", "_");
  }

  /** The event files in {@code dir} whose name ends in {@code .suffix}, oldest name first. */
  public static List<Path> files(Path dir, String suffix) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(
              p -> {
                String n = p.getFileName().toString();
                return n.startsWith(PREFIX) && n.endsWith("." + suffix) && Files.isRegularFile(p);
              })
          .sorted()
          .toList();
    }
  }

  /** Deletes the event files {@link #files} lists: a new run in the folder starts over. */
  static void deleteAll(Path dir, String suffix) throws IOException {
    for (Path f : files(dir, suffix)) {
      Files.delete(f);
    }
  }

  /**
   * Keeps, in each event file {@link #files} lists, the records of steps up to {@code step} (a
   * resumed run writes the later ones again) and drops a torn or corrupt tail; a file left with no
   * step is deleted. Files are rewritten atomically.
   */
  static void truncate(Path dir, String suffix, long step) throws IOException {
    for (Path f : files(dir, suffix)) {
      List<byte[]> records = TfRecords.readValid(f);
      int kept = 0;
      long bytes = 0;
      while (kept < records.size() && keep(records.get(kept), step)) {
        bytes += records.get(kept).length + TfRecords.OVERHEAD;
        kept++;
      }
      if (kept <= 1) {
        Files.delete(f); // at most the version record: nothing to show
      } else if (bytes != Files.size(f)) {
        List<byte[]> keep = records.subList(0, kept);
        AtomicFiles.write(
            f,
            o -> {
              for (byte[] r : keep) {
                o.write(TfRecords.frame(r));
              }
            });
      }
    }
  }

  private static boolean keep(byte[] event, long step) {
    try {
      return EventProtos.stepOf(event) <= step;
    } catch (IllegalArgumentException e) {
      return false; // not an event this class wrote: treat as the torn tail
    }
  }

  /** This file. */
  public Path file() {
    return file;
  }

  /**
   * Appends one event at {@code step} with a scalar per non-null entry of {@code metrics} (as a
   * float) and flushes; nothing is written when every value is null.
   *
   * @throws UncheckedIOException when the file cannot be written
   */
  public void write(long step, Map<String, ? extends Number> metrics) {
    Map<String, Float> values = new LinkedHashMap<>();
    metrics.forEach(
        (k, v) -> {
          if (v != null) {
            values.put(k, v.floatValue());
          }
        });
    if (!values.isEmpty()) {
      append(EventProtos.scalars(System.currentTimeMillis() / 1e3, step, values));
    }
  }

  private void append(byte[] event) {
    try {
      out.write(TfRecords.frame(event));
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the TensorBoard events " + file, e);
    }
  }

  @Override
  public void close() throws IOException {
    out.close();
  }

  /** This machine's name for file names, looked up once ({@code localhost} when unknown). */
  private static final class Host {
    static final String NAME = lookup();

    private static String lookup() {
      String name = System.getenv("HOSTNAME");
      if (name == null || name.isBlank()) {
        try {
          name = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
          name = "localhost";
        }
      }
      name = name.strip().replaceAll("[^A-Za-z0-9.-]", "_");
      return name.isEmpty() ? "localhost" : name;
    }
  }
}
