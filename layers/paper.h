// The paper's numbers, named once (paper.md §3-4, paper-notes.md): the input segment, the output sizes,
// the schedules and the batch. Defaults everywhere above the engine read these; agf's own choices (the
// quick grid's shorter schedules, batch sizes of inference passes) are named where they are made.
#pragma once

namespace agf::paper {

// Input: 1-s segments of a dB mel spectrogram at 22,050 Hz, hop 512: 128 bands x 43 frames.
inline constexpr int kMels = 128;
inline constexpr int kFrames = 43;

// Outputs: FMA's 16 top genres; 40 LDA topics per artist group factor.
inline constexpr int kGenres = 16;
inline constexpr int kTopics = 40;

// Schedules: STN and wSTN 200 epochs, MTN 1000, the transfer MLP 50; batch 64 throughout.
inline constexpr int kStnEpochs = 200;
inline constexpr int kMtnEpochs = 1000;
inline constexpr int kMlpEpochs = 50;
inline constexpr int kBatch = 64;

// Evaluation: every window of a track at a hop of 10 frames, the track's prediction their mean.
inline constexpr int kEvalHop = 10;

// Batch normalisation: Keras momentum 0.99, i.e. running = 0.99 running + 0.01 batch.
inline constexpr double kBnMomentum = 0.01;

}  // namespace agf::paper
