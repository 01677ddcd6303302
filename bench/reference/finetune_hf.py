"""What a user would pick instead of mlx-train: Hugging Face transformers.Trainer on PyTorch (CPU), fine-tuning
the same checkpoint on the same rows, in the same tokens, with the same batch size, rate, warmup, schedule,
weight decay, clipping and epochs as our config (bench/cases/finetune-data.ts dumped them), its dropout off as
ours is, and its own length-grouped sampler (train_sampling_strategy="group_by_length", the counterpart of our
length bucketing) with padding to a multiple of 8 as ours. `--mode lora` adds peft LoRA adapters with our
rank, alpha, dropout and target modules. Threads: torch.set_num_threads(--threads). Prints one JSON line."""
import os
import tempfile

from finetune_common import StepClock, accuracy, load_data, parse_args

args = parse_args()
import torch  # noqa: E402  (after parsing, so --help is fast)

torch.set_num_threads(args.threads)
from transformers import (  # noqa: E402
    AutoModelForSequenceClassification,
    DataCollatorWithPadding,
    PreTrainedTokenizerFast,
    Trainer,
    TrainerCallback,
    TrainingArguments,
)

data = load_data(args.data)
t = data["training"]
tokenizer = PreTrainedTokenizerFast(tokenizer_file=os.path.join(args.model, "tokenizer.json"), pad_token="[PAD]")
# model.dropout null keeps the checkpoint's own dropout, as our Trainer does.
p = data["model"]["dropout"]
dropout = {} if p is None else {"hidden_dropout_prob": p, "attention_probs_dropout_prob": p}
model = AutoModelForSequenceClassification.from_pretrained(args.model, num_labels=data["numClasses"], **dropout)
if args.mode == "lora":
    from peft import LoraConfig, get_peft_model

    lora = t["lora"]
    model = get_peft_model(model, LoraConfig(task_type="SEQ_CLS", r=lora["rank"], lora_alpha=lora["alpha"],
                                             lora_dropout=lora["dropout"], target_modules=lora["targetModules"]))


def rows(part):
    return [{"input_ids": ids, "token_type_ids": types, "attention_mask": [1] * len(ids), "labels": y}
            for ids, types, y in zip(part["ids"], part["typeIds"], part["labels"])]


train, validation = rows(data["train"]), rows(data["validation"])
clock = StepClock()
pending = []  # (samples, real tokens) of the batches collated, in step order


class CountingCollator(DataCollatorWithPadding):
    def __call__(self, features):
        pending.append((len(features), sum(len(f["input_ids"]) for f in features)))
        return super().__call__(features)


class Clock(TrainerCallback):
    def on_step_end(self, args_, state, control, **kw):
        clock.mark(*pending.pop(0))


targs = TrainingArguments(
    output_dir=tempfile.mkdtemp(dir=args.workdir), per_device_train_batch_size=t["batchSize"],
    per_device_eval_batch_size=64, num_train_epochs=t["epochs"], learning_rate=t["learningRate"],
    warmup_steps=t["warmupRatio"], lr_scheduler_type=t["schedule"], weight_decay=t["weightDecay"],
    max_grad_norm=t["maxGradNorm"] or 0.0, train_sampling_strategy="group_by_length", use_cpu=True,
    save_strategy="no", eval_strategy="no", logging_strategy="no", report_to="none", disable_tqdm=True,
    dataloader_num_workers=0, seed=t["seed"],
)
trainer = Trainer(model=model, args=targs, train_dataset=train,
                  data_collator=CountingCollator(tokenizer, pad_to_multiple_of=8), callbacks=[Clock()])
out = trainer.train()
predicted = trainer.predict(validation).predictions.argmax(-1).tolist()
trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
print(__import__("json").dumps({
    **clock.summary(),
    "hfSamplesPerSecond": out.metrics["train_samples_per_second"],
    "valAccuracy": accuracy(predicted, data["validation"]["labels"]),
    "trainable": trainable,
    "optimizer": targs.optim if isinstance(targs.optim, str) else targs.optim.value,
    "torch": torch.__version__,
    "threads": torch.get_num_threads(),
}))
