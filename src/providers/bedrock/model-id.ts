// The model id a Bedrock call names. It becomes one path segment of the signed URL
// (`/model/{modelId}/converse`), and `.` or `..` there would climb out of `/model/` before the
// request is signed, so only the shapes Bedrock documents for Converse's modelId pass:
// - a model or inference-profile id: letters, digits, `.`, `-`, `_` and `:`, starting with a letter
//   or digit (anthropic.claude-3-5-sonnet-20240620-v1:0, us.anthropic.claude-…, global.…);
// - the ARN of a Bedrock (or SageMaker) resource, in any partition: foundation-model,
//   inference-profile, application-inference-profile, provisioned-model, custom-model, prompt …,
//   each segment after the resource type starting with a letter or digit.
// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html (at most 2048)

import { invalidRequest, quoted } from '../../errors';

const MODEL_ID = /^(?:[A-Za-z0-9][\w.:-]*|arn:aws[a-z-]*:(?:bedrock|sagemaker):[a-z0-9-]{0,20}:(?:\d{12})?:[a-z-]+(?:\/[A-Za-z0-9][\w.:-]*)+)$/;

/** The model id, or a 400 that quotes it bounded. */
export function bedrockModelId(model: string): string {
  if (model.length > 2048 || !MODEL_ID.test(model)) {
    throw invalidRequest(
      'invalid_model',
      `model: "${quoted(model)}" is not a Bedrock model id, inference profile id or ARN (such as anthropic.claude-3-5-sonnet-20240620-v1:0)`,
      'model',
    );
  }
  return model;
}
