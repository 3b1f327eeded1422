// The paper's vocabulary (layers/tasks.h, layers/paper.h): one place for the task letters and the numbers.
#include <gtest/gtest.h>

#include "util/error.h"
#include "layers/nets.h"
#include "layers/paper.h"
#include "layers/tasks.h"

namespace agf {

TEST(Tasks, LettersKindsAndOrder) {
  EXPECT_STREQ(kTaskOrder, "gsedm");
  for (char t : std::string("gsedm")) EXPECT_TRUE(is_task(t)) << t;
  for (char t : std::string("sedm")) EXPECT_TRUE(is_factor_task(t)) << t;
  EXPECT_FALSE(is_factor_task(kGenreTask));
  for (char t : std::string("xG\0", 3)) EXPECT_FALSE(is_task(t)) << int(t);
  for (char t : std::string(kFactorKinds)) EXPECT_TRUE(is_factor_task(t)) << t;
  EXPECT_EQ(std::string(kFactorKinds).size(), 4u);
  EXPECT_STREQ(task_label('d'), "delta-MFCC");
  EXPECT_THROW(task_label('x'), UsageError);
}

TEST(Tasks, CanonicalAndFirst) {
  EXPECT_EQ(canonical_tasks("mg"), "gm");
  EXPECT_EQ(canonical_tasks("mdesg"), "gsedm");
  EXPECT_THROW(canonical_tasks("gg"), UsageError);
  EXPECT_THROW(canonical_tasks("gx"), UsageError);
  EXPECT_THROW(canonical_tasks(""), UsageError);
  EXPECT_EQ(first_tasks(1), "g");
  EXPECT_EQ(first_tasks(3), "gse");
  EXPECT_EQ(first_tasks(5), "gsedm");
  EXPECT_THROW(first_tasks(0), UsageError);
  EXPECT_THROW(first_tasks(6), UsageError);
}

TEST(Tasks, OutputsFollowTheLetters) {
  NetConfig c;
  c.genres = 7;
  c.topics = 9;
  EXPECT_EQ(task_outputs('g', c), 7);
  for (char t : std::string("sedm")) EXPECT_EQ(task_outputs(t, c), 9) << t;
  EXPECT_THROW(task_outputs('q', c), UsageError);
}

TEST(Paper, TheNumbersTheDefaultsUse) {
  // The paper's input and schedules; a change here changes every default that reads them.
  EXPECT_EQ(paper::kMels, 128);
  EXPECT_EQ(paper::kFrames, 43);
  EXPECT_EQ(paper::kGenres, 16);
  EXPECT_EQ(paper::kTopics, 40);
  EXPECT_EQ(paper::kStnEpochs, 200);
  EXPECT_EQ(paper::kMtnEpochs, 1000);
  EXPECT_EQ(paper::kMlpEpochs, 50);
  EXPECT_EQ(paper::kBatch, 64);
  EXPECT_EQ(paper::kEvalHop, 10);
  NetConfig c;
  EXPECT_EQ(c.genres, paper::kGenres);
  EXPECT_EQ(c.topics, paper::kTopics);
  EXPECT_EQ(build_net(c)->input_shape(2), (Shape{2, 1, paper::kMels, paper::kFrames}));
}

}  // namespace agf
