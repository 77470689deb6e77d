package rlhf4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import rlhf4j.cli.quickstart.Quickstart;
import rlhf4j.cli.quickstart.QuickstartAlgorithm;
import rlhf4j.cli.quickstart.QuickstartOptions;
import rlhf4j.policy.train.Engines;

/** {@code rlhf4j quickstart}: the whole InstructGPT pipeline on a toy task, offline. */
@Command(
    name = "quickstart",
    mixinStandardHelpOptions = true,
    description = {
      "SFT -> reward model -> PPO (LoRA, reference = adapters off) on a synthetic movie-review"
          + " task, offline, in minutes on a laptop CPU.",
      "Judges the result with the grammar's own sentiment label and writes summary.json,"
          + " metrics.jsonl, charts, the adapter, the merged model and the tokenizer to --out."
    })
public final class QuickstartCommand implements Callable<Integer> {
  @Option(
      names = "--out",
      paramLabel = "DIR",
      defaultValue = "quickstart-out",
      description = "output folder (default: ${DEFAULT-VALUE})")
  Path out;

  @Option(names = "--fast", description = "the CI-sized run (about a minute)")
  boolean fast;

  @Option(names = "--seed", defaultValue = "0", description = "default: ${DEFAULT-VALUE}")
  long seed;

  @Option(names = "--quiet", description = "no progress bars or logs, only the result line")
  boolean quiet;

  @Option(
      names = "--algorithm",
      paramLabel = "ppo|grpo|rloo|dpo",
      defaultValue = "ppo",
      converter = AlgorithmConverter.class,
      description =
          "policy optimisation after the reward model: ppo (value head), grpo, rloo (G"
              + " completions per prompt, no value head) or dpo (on the reward model's pairs,"
              + " no rollouts); each has its own recipe (default: ${DEFAULT-VALUE})")
  QuickstartAlgorithm algorithm;

  /** Parses {@code --algorithm} case-insensitively. */
  static final class AlgorithmConverter implements CommandLine.ITypeConverter<QuickstartAlgorithm> {
    @Override
    public QuickstartAlgorithm convert(String value) {
      return QuickstartAlgorithm.parse(value);
    }
  }

  @Option(
      names = "--threads",
      defaultValue = "0",
      description = "PyTorch intra-op threads, 0 = engine default (default: ${DEFAULT-VALUE})")
  int threads;

  @Option(
      names = "--spark-master",
      paramLabel = "URL",
      description =
          "run the rollouts of ppo, grpo or rloo on Spark (local[N] or spark://HOST:PORT, see"
              + " `rlhf4j spark`; not dpo, which has none); completions are then seeded one by"
              + " one, so the samples differ from a local run")
  String sparkMaster;

  /** Concise output: DJL's start-up INFO lines are noise here (unless the user set a level). */
  private static final String LOG_LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";

  /** DJL warns on every PPO step's GPU-memory probe on a machine with CUDA libraries but no GPU. */
  private static final String CUDA_LOG_LEVEL =
      "org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils";

  @Override
  public Integer call() throws Exception {
    if (System.getProperty(LOG_LEVEL) == null) {
      System.setProperty(LOG_LEVEL, "warn");
    }
    if (System.getProperty(CUDA_LOG_LEVEL) == null) {
      System.setProperty(CUDA_LOG_LEVEL, "error");
    }
    Engines.configure(threads);
    OutputFolders.prepare(out, "--out"); // before minutes of work
    new Quickstart(new QuickstartOptions(out, fast, seed, quiet, threads, algorithm, sparkMaster))
        .run();
    return 0;
  }
}
