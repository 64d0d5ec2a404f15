import { GraphQLError } from 'graphql';
import { builder } from '../builder';
import { ValidationError } from '../errors';
import { UploadsUnavailableError } from '../files/errors';
import { storeUpload, type UploadedFile } from '../files/upload';

/**
 * A file sent with the request under the GraphQL multipart request spec: the operation in an
 * `operations` part, a `map` part naming the variables, then the file parts (Yoga parses them
 * and hands the resolver a web `File`).
 */
const UploadScalar = builder.scalarType('Upload', {
  description: 'A file part of a multipart request (GraphQL multipart request spec).',
  serialize: () => {
    throw new GraphQLError('Upload is an input-only scalar');
  },
  parseValue: (value) => {
    // A file part is a web File, whose methods a JSON object (`{"arrayBuffer": …}` in JSON
    // variables) does not have: it would otherwise reach the resolver and fail there as an
    // unexpected error instead of the client's bad input.
    const file = value as Partial<UploadedFile> | null;
    if (
      file &&
      typeof file === 'object' &&
      typeof file.arrayBuffer === 'function' &&
      typeof file.size === 'number' &&
      typeof file.name === 'string'
    ) {
      return file as UploadedFile;
    }
    throw new GraphQLError('Upload expects a file part of a multipart request');
  },
});

builder.mutationFields((t) => ({
  uploadFile: t.drizzleField({
    type: 'files',
    description:
      'Stores a file in the library (multipart request). Its type comes from its bytes; images ' +
      'up to 10 MB, audio 16 MB, video and documents 25 MB. Empty files, other types, a name ' +
      'whose extension claims another type, and names with path separators or control ' +
      'characters are refused with a ValidationError, and nothing is stored.',
    errors: { types: [ValidationError, UploadsUnavailableError] },
    args: {
      file: t.arg({ type: UploadScalar, required: true }),
      name: t.arg.string({ description: "Display name; default: the uploaded part's file name." }),
    },
    resolve: (_query, _root, { file, name }, ctx) => storeUpload(ctx, file as UploadedFile, name),
  }),
}));
