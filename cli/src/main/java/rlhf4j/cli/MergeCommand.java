package rlhf4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import rlhf4j.policy.hf.HfCheckpoint;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;

/** {@code rlhf4j merge}: bake a LoRA adapter into a standalone HF checkpoint. */
@Command(
    name = "merge",
    mixinStandardHelpOptions = true,
    description = "Merge a PEFT LoRA adapter into its base model and write a standalone HF folder.")
public final class MergeCommand implements Callable<Integer> {
  @Option(
      names = "--model",
      required = true,
      paramLabel = "DIR",
      description = "base HF model folder")
  Path model;

  @Option(
      names = "--adapter",
      required = true,
      paramLabel = "DIR",
      description = "PEFT adapter folder")
  Path adapter;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "output HF folder")
  Path out;

  @Override
  public Integer call() throws Exception {
    try (CausalLM lm = HfCheckpoint.load(model);
        LoraModel lora = LoraModel.load(lm, adapter)) {
      lora.mergeAndSave(out);
    }
    for (String f :
        new String[] {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"}) {
      if (Files.isRegularFile(model.resolve(f))) {
        Files.copy(
            model.resolve(f), out.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    }
    System.out.println("wrote merged model to " + out);
    return 0;
  }
}
