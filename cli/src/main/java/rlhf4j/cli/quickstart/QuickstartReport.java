package rlhf4j.cli.quickstart;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import rlhf4j.cli.config.VersionProvider;
import rlhf4j.cli.quickstart.EvaluationPhase.Evaluation;
import rlhf4j.cli.quickstart.SentimentGrammar.Judgement;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.lora.ModelCard;
import rlhf4j.policy.tokenizer.BpeModel;
import rlhf4j.policy.train.ProgressReporter;

/**
 * Quickstart phase 7, the report: the adapter (PEFT) and the merged model with the tokenizer,
 * charts, {@code samples.txt}, {@code summary.json} and the console's closing lines.
 */
final class QuickstartReport {
  private QuickstartReport() {}

  /**
   * Writes every report artefact and returns the summary.
   *
   * @param startNanos {@code System.nanoTime()} at the start of the run
   * @param threads PyTorch intra-op threads used
   */
  static QuickstartSummary write(
      QuickstartContext ctx,
      LoraModel lora,
      BpeModel bpe,
      SftPhase.Result sft,
      RewardModelPhase.Result reward,
      TrainingCurves ppo,
      Evaluation eval,
      long startNanos,
      int threads)
      throws IOException {
    ctx.beginPhase();
    Path out = ctx.out();
    lora.save(out.resolve("adapter"));
    ModelCard.write(
        out.resolve("adapter"),
        lora.config(LoraModel.DEFAULT_ADAPTER).baseModelNameOrPath(),
        "the quickstart's PPO on its synthetic sentiment task",
        lora.config(LoraModel.DEFAULT_ADAPTER),
        VersionProvider.version());
    bpe.writeTo(out.resolve("adapter"));
    lora.mergeAndSave(out.resolve("merged"));
    bpe.writeTo(out.resolve("merged"));
    charts(out, sft, reward, ppo);
    List<String> shown = samplesText(ctx.recipe().shownSamples(), eval);
    Files.write(
        out.resolve("samples.txt"),
        samplesFile(eval, ppo.algorithm().label()),
        StandardCharsets.UTF_8);
    ctx.recordPhase("report");
    double wall = (System.nanoTime() - startNanos) / 1e9;
    QuickstartSummary summary =
        new QuickstartSummary(
            eval.before().positiveRate(),
            eval.after().positiveRate(),
            eval.before().grammaticalRate(),
            eval.after().grammaticalRate(),
            eval.meanKl(),
            reward.accuracy(),
            wall,
            eval.after().judgements().size(),
            ppo.size(),
            sft.finalLoss(),
            ppo.firstScore(),
            ppo.lastScore(),
            ppo.lastKl(),
            threads,
            ctx.options().seed(),
            ctx.options().fast(),
            ctx.phaseSeconds(),
            ppo.algorithm());
    String json = summary.toJsonString();
    if (!ppo.distributed().isEmpty()) { // rollouts on Spark: the last step's traffic
      com.google.gson.JsonObject j = summary.toJson();
      j.addProperty("spark_master", ctx.options().sparkMaster());
      j.addProperty("executors", ppo.distributed().get("distributed/executors").intValue());
      j.addProperty(
          "broadcast_bytes_per_step",
          ppo.distributed().get("distributed/broadcast_bytes").longValue());
      j.addProperty(
          "returned_bytes_per_step",
          ppo.distributed().get("distributed/returned_bytes").longValue());
      json = new com.google.gson.GsonBuilder().setPrettyPrinting().create().toJson(j) + "\n";
    }
    Files.writeString(out.resolve("summary.json"), json, StandardCharsets.UTF_8);
    Reporter reporter = ctx.reporter();
    reporter.log(
        "7/7 report: samples before -> after %s (judged by the grammar)", ppo.algorithm().label());
    shown.forEach(s -> reporter.log("%s", s));
    reporter.log(
        "wrote %s: summary.json, metrics.jsonl, reward.png, kl.png, losses.png, samples.txt,"
            + " adapter/ (PEFT), merged/, sft/, reward_model/, tokenizer/",
        out);
    reporter.result(
        "positive rate %.2f -> %.2f, grammatical %.2f, KL %.2f nats, reward-model accuracy %.3f,"
            + " %s (%s)",
        summary.positiveRateBefore(),
        summary.positiveRateAfter(),
        summary.grammaticalRateAfter(),
        summary.klFinal(),
        summary.rewardModelAccuracy(),
        ProgressReporter.time(wall),
        out.resolve("summary.json"));
    return summary;
  }

  private static void charts(
      Path out, SftPhase.Result sft, RewardModelPhase.Result reward, TrainingCurves curves)
      throws IOException {
    String label = curves.algorithm().label();
    boolean dpo = curves.algorithm() == QuickstartAlgorithm.DPO;
    List<Charts.Series> rewards = new ArrayList<>();
    rewards.add(
        new Charts.Series(
            dpo ? "rewards/margins" : "reward-model score", curves.steps(), curves.scores()));
    if (!curves.judgedPositive().isEmpty()) {
      rewards.add(
          new Charts.Series(
              "positive rate (grammar)", curves.steps(), curves.judgedPositive(), true));
    }
    Charts.linePng(
        out.resolve("reward.png"),
        label + ": reward per step",
        label + " step",
        dpo ? "implicit reward margin (chosen - rejected)" : "mean reward-model score",
        "positive rate (grammar)",
        rewards);
    Charts.linePng(
        out.resolve("kl.png"),
        label + ": KL to the reference per step",
        label + " step",
        dpo ? "log-ratio of chosen completions (nats)" : "KL (nats per sequence)",
        List.of(
            new Charts.Series(
                curves.algorithm() == QuickstartAlgorithm.PPO
                    ? "objective/kl"
                    : dpo ? "rewards/chosen / beta" : "kl",
                curves.steps(),
                curves.kls())));
    List<Charts.Series> losses = new ArrayList<>();
    losses.add(
        new Charts.Series(
            curves.algorithm() == QuickstartAlgorithm.PPO ? "ppo/loss/policy" : "loss",
            curves.steps(),
            curves.policyLoss()));
    if (!curves.valueLoss().isEmpty()) {
      losses.add(new Charts.Series("ppo/loss/value", curves.steps(), curves.valueLoss()));
    }
    Charts.linePng(
        out.resolve("losses.png"), label + " losses per step", label + " step", "loss", losses);
    Charts.linePng(
        out.resolve("sft_reward_model_losses.png"),
        "SFT and reward-model training losses",
        "optimizer step",
        "loss",
        List.of(
            new Charts.Series("sft", sft.steps(), sft.losses()),
            new Charts.Series("reward model", reward.steps(), reward.losses())));
  }

  private static List<String> samplesText(int shownSamples, Evaluation eval) {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < shownSamples; i++) {
      lines.add(
          String.format(
              Locale.ROOT,
              "  before  %-60s %s",
              oneLine(eval.before().text(i)),
              label(eval.before().judgements().get(i))));
      lines.add(
          String.format(
              Locale.ROOT,
              "  after   %-60s %s",
              oneLine(eval.after().text(i)),
              label(eval.after().judgements().get(i))));
    }
    return lines;
  }

  private static List<String> samplesFile(Evaluation eval, String label) {
    List<String> lines = new ArrayList<>();
    lines.add(
        "# Evaluation samples: the same fresh prompts, the SFT policy (before, adapters off)");
    lines.add(
        "# and the "
            + label
            + " policy (after), judged by the grammar. KL = sum of log-ratios of the");
    lines.add("# after-sample to the reference, in nats.");
    for (int i = 0; i < eval.kl().length; i++) {
      lines.add("");
      lines.add("prompt  " + eval.before().prompts().get(i));
      lines.add(
          "before  "
              + oneLine(eval.before().text(i))
              + "  ["
              + label(eval.before().judgements().get(i))
              + "]");
      lines.add(
          String.format(
              Locale.ROOT,
              "after   %s  [%s] kl %.3f",
              oneLine(eval.after().text(i)),
              label(eval.after().judgements().get(i)),
              eval.kl()[i]));
    }
    return lines;
  }

  private static String oneLine(String s) {
    return s.replace("\n", "\\n");
  }

  private static String label(Judgement j) {
    return j.grammatical() ? j.sentiment().name().toLowerCase(Locale.ROOT) : "ungrammatical";
  }
}
