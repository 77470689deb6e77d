package rlhf4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import rlhf4j.policy.io.AtomicFiles;

/**
 * How a run's rollouts draw their random numbers, recorded in the run folder ({@code grpo}, {@code
 * rloo}: {@value #FILE}; {@code ppo}: its {@link RunFingerprint}) so {@code --resume} refuses to
 * switch schemes. The local generator samples a step's whole batch from one stream ({@link
 * rlhf4j.rollout.LocalRolloutSource}); {@code --spark-master} gives every prompt (every completion
 * of GRPO and RLOO) a stream of its own ({@link rlhf4j.rollout.PromptSeeds}), so the two sample
 * different tokens from the same seed and a run resumed across the switch would silently continue
 * as another run. Any two Spark masters share the per-prompt scheme (results do not depend on the
 * partitioning), so {@code local[2]} may resume as {@code spark://...}.
 */
enum RolloutSeeds {
  /** The local generator: one stream per step's batch. */
  PER_BATCH("per-batch", "without --spark-master (the local generator: one stream per batch)"),
  /** A Spark source: one stream per prompt. */
  PER_PROMPT("per-prompt", "with --spark-master (Spark: one stream per prompt)");

  /** The file in the run folder of {@code grpo} and {@code rloo}. */
  static final String FILE = "rollout_seeds.txt";

  private final String id;
  private final String how;

  RolloutSeeds(String id, String how) {
    this.id = id;
    this.how = how;
  }

  /** The scheme a run with {@code sparkMaster} (null: none) uses. */
  static RolloutSeeds of(String sparkMaster) {
    return sparkMaster == null ? PER_BATCH : PER_PROMPT;
  }

  /**
   * Checks a resumed run against the scheme it started with, or records the scheme of a new run. A
   * resumed run whose folder predates the file is not checked (and nothing is recorded).
   *
   * @param runDir the run folder (created when missing)
   * @param resume whether the run resumes from a checkpoint
   * @param sparkMaster the {@code --spark-master} of this invocation, or null
   * @throws IllegalArgumentException when a resume would switch schemes, saying how to fix it
   * @throws IOException when the file cannot be read or written
   */
  static void checkOrRecord(Path runDir, boolean resume, String sparkMaster) throws IOException {
    RolloutSeeds now = of(sparkMaster);
    Path file = runDir.resolve(FILE);
    if (!resume) {
      Files.createDirectories(runDir);
      AtomicFiles.writeString(file, now.id + "\n");
      return;
    }
    if (!Files.isRegularFile(file)) {
      return;
    }
    check(parse(Files.readString(file).strip(), file), now, file);
  }

  /** The id written to the run folder ({@code per-batch}, {@code per-prompt}). */
  String id() {
    return id;
  }

  /**
   * The scheme of {@code id} as recorded in {@code file}.
   *
   * @throws IllegalArgumentException naming the file when the id is unknown
   */
  static RolloutSeeds parse(String id, Path file) {
    for (RolloutSeeds s : values()) {
      if (s.id.equals(id)) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        file
            + " holds rollout seeds '"
            + id
            + "', expected per-batch or per-prompt; delete it to resume without the check");
  }

  /**
   * Refuses a resume that switches from the scheme a run {@code started} with to {@code now}.
   *
   * @param recordedIn the file the started scheme was read from (named in the message)
   * @throws IllegalArgumentException saying which option to pass or drop
   */
  static void check(RolloutSeeds started, RolloutSeeds now, Path recordedIn) {
    if (started == now) {
      return;
    }
    String fix =
        started == PER_PROMPT
            ? "resume with --spark-master URL (any master: the results do not depend on how the"
                + " prompts are partitioned)"
            : "resume without --spark-master";
    throw new IllegalArgumentException(
        "--resume: the run started "
            + started.how
            + " but resumes "
            + now.how
            + "; the two sample different tokens from the same seed, so the run would not"
            + " continue exactly: "
            + fix
            + ", or start a new run in another output folder (recorded in "
            + recordedIn
            + ")");
  }
}
