package rlhf4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import rlhf4j.policy.io.AtomicFiles;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.optim.AdamW;
import rlhf4j.policy.optim.AdamWConfig;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.policy.train.DivergenceException;
import rlhf4j.policy.train.MetricsWriter;
import rlhf4j.policy.train.ProgressReporter;
import rlhf4j.ppo.JsonlStatsWriter;
import rlhf4j.ppo.PolicyTrainer;
import rlhf4j.ppo.PpoCheckpoint;
import rlhf4j.ppo.TrainerCheckpoint;
import rlhf4j.ppo.TrainerSetup;
import rlhf4j.reference.AdapterSwitchingReference;
import rlhf4j.reference.RefAdapterReference;
import rlhf4j.reference.ReferenceModel;
import rlhf4j.reward.RewardException;

/**
 * What {@code rlhf4j grpo}, {@code rloo} and {@code dpo} share: the options, resume checks, model,
 * tokenizer and adapter (fresh, or a trained one whose frozen copy is the reference), metrics,
 * progress lines, checkpoints ({@link TrainerCheckpoint}) and the final adapter. A subclass builds
 * its trainer and runs it.
 */
abstract class PolicyCommand implements Callable<Integer> {
  static final String METRICS = "metrics.jsonl";
  static final String FINAL = "final";

  @Option(names = "--config", required = true, paramLabel = "FILE", description = "the YAML file")
  Path config;

  @Option(
      names = "--resume",
      description = "continue from the newest checkpoint in trainer.output_dir (exactly)")
  boolean resume;

  @Option(names = "--steps", paramLabel = "N", description = "override trainer.max_steps")
  Integer steps;

  @Option(names = "--output-dir", paramLabel = "DIR", description = "override trainer.output_dir")
  Path outputDir;

  CommandSpec spec;

  /** Receives the command's spec; writes the YAML key reference into the help footer. */
  @Spec
  void setSpec(CommandSpec spec) {
    this.spec = spec;
    List<String> lines = new ArrayList<>();
    lines.add("");
    lines.add("YAML sections and keys (HF / TRL / PEFT names; unset keys keep their defaults;");
    lines.add("example: cli/configs/" + algorithm().command() + ".yaml):");
    PolicyRunConfig.sections(algorithm())
        .forEach(
            (section, keys) -> {
              lines.add("  " + section + ":");
              lines.add("      " + String.join(", ", keys));
            });
    lines.add("lora.adapter: start from a trained PEFT adapter; the reference is its frozen copy.");
    lines.add("Exit codes: 0 done, 2 bad config or files, 3 NaN loss or failing reward.");
    spec.usageMessage().footer(lines.toArray(new String[0]));
  }

  /** Which trainer. */
  abstract PolicyRunConfig.Algorithm algorithm();

  /** The open parts a subclass builds its trainer from. */
  record Context(
      PolicyRunConfig config, CausalLM model, Tokenizer tokenizer, LoraModel policy, Path runDir) {}

  /** Builds the trainer from {@code setup} (reference, listeners set). */
  abstract PolicyTrainer trainer(Context c, TrainerSetup setup) throws IOException;

  /** Runs the trainer up to {@code totalSteps}. */
  abstract void train(
      Context c, PolicyTrainer trainer, long totalSteps, PolicyTrainer.StepCallback afterStep)
      throws IOException;

  /** The progress line's numbers after {@code step}. */
  abstract String progress(Map<String, Double> stats);

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    String name = algorithm().command();
    PolicyRunConfig cfg = PolicyRunConfig.read(config, algorithm());
    int totalSteps = steps != null ? steps : cfg.run().maxSteps();
    if (totalSteps < 1) {
      throw new IllegalArgumentException("--steps must be >= 1, got " + totalSteps);
    }
    Path runDir = outputDir != null ? outputDir : cfg.run().outputDir();
    Optional<Path> latest = TrainerCheckpoint.latest(runDir);
    if (resume && latest.isEmpty()) {
      throw new IllegalArgumentException(
          "--resume: " + runDir + " holds no checkpoint; run without --resume to start");
    }
    if (!resume && latest.isPresent()) {
      throw new IllegalArgumentException(
          runDir
              + " already holds "
              + latest.get().getFileName()
              + "; pass --resume to continue that run or choose another trainer.output_dir");
    }
    Files.createDirectories(runDir);
    Files.copy(config, runDir.resolve("run_config.yaml"), StandardCopyOption.REPLACE_EXISTING);
    ModelSource source = cfg.model();
    try (CausalLM model = source.load();
        Tokenizer tokenizer = tokenizer(source);
        LoraModel policy =
            cfg.adapter() != null
                ? LoraModel.load(model, cfg.adapter())
                : LoraModel.inject(model, cfg.lora(), cfg.loraSeed())) {
      ReferenceModel reference =
          cfg.adapter() != null
              ? RefAdapterReference.copyOfActive(policy)
              : new AdapterSwitchingReference(policy);
      String active = policy.activeAdapter();
      PpoCheckpoint.AdapterWriter adapter = dir -> policy.saveAdapter(active, dir);
      Context c = new Context(cfg, model, tokenizer, policy, runDir);
      Path metricsFile = runDir.resolve(METRICS);
      ProgressReporter progress = new ProgressReporter(System.err, name, totalSteps, false);
      // TRL's optimizer: AdamW without weight decay, its lr_scheduler_type over the run
      try (AdamW optimizer =
              new AdamW(
                  AdamWConfig.builder().optWeightDecay(0).build(), cfg.lrSchedule(totalSteps));
          JsonlStatsWriter metrics =
              new JsonlStatsWriter(
                  resume
                      ? MetricsWriter.resume(metricsFile, TrainerCheckpoint.stepOf(latest.get()))
                      : MetricsWriter.create(metricsFile))) {
        TrainerSetup setup =
            TrainerSetup.builder()
                .model(model)
                .optimizer(optimizer)
                .trainable(policy.trainableParameters())
                .reference(reference)
                .tokenizer(tokenizer)
                .gradientCheckpointing(cfg.run().gradientCheckpointing())
                .listener(metrics)
                .listener((step, stats) -> out.println(progress.line(step, progress(stats))));
        try (PolicyTrainer trainer = trainer(c, setup)) {
          if (resume) {
            TrainerCheckpoint.restore(trainer, latest.get());
            out.printf("resumed from %s (step %d)%n", latest.get(), trainer.stepCount());
          }
          int every = cfg.run().saveSteps();
          int keepLast = cfg.run().saveTotalLimit();
          PolicyTrainer.StepCallback checkpoints =
              every > 0 ? TrainerCheckpoint.every(every, adapter::write, runDir, keepLast) : null;
          try {
            train(c, trainer, totalSteps, checkpoints);
          } catch (RewardException | DivergenceException e) {
            Optional<Path> last = TrainerCheckpoint.latest(runDir);
            err.println(
                "rlhf4j "
                    + name
                    + ": stopped at step "
                    + (trainer.stepCount() + 1)
                    + ": "
                    + e.getMessage()
                    + (last.isPresent()
                        ? "; " + last.get() + " is intact: fix the cause and rerun with --resume"
                        : "; no checkpoint was written (set trainer.save_steps)"));
            err.flush();
            return PpoCommand.DIVERGED;
          }
          Optional<Path> last = TrainerCheckpoint.latest(runDir);
          if (last.isEmpty() || TrainerCheckpoint.stepOf(last.get()) != trainer.stepCount()) {
            TrainerCheckpoint.save(trainer, adapter::write, runDir);
          }
          Path finalDir = runDir.resolve(FINAL);
          AtomicFiles.writeFolder(finalDir, adapter::write);
          out.printf(
              "done: %d steps; adapter in %s, metrics in %s%n",
              trainer.stepCount(), finalDir, metricsFile);
        }
      }
    }
    out.flush();
    return 0;
  }

  /**
   * The tokenizer of {@code model.tokenizer} or {@code model.dir}, or null when neither has one.
   */
  static Tokenizer tokenizer(ModelSource source) {
    if (source.tokenizer() == null && source.dir() == null) {
      return null;
    }
    Path dir = source.tokenizerDir();
    return Files.isRegularFile(dir.resolve("tokenizer.json")) ? Tokenizer.load(dir) : null;
  }

  static String format(String pattern, Object... args) {
    return String.format(Locale.ROOT, pattern, args);
  }
}
