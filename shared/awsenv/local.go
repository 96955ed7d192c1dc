package awsenv

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// LocalRegion is the region clients of the local emulators use (local/localaws uses it too).
const LocalRegion = "eu-central-1"

// Local returns the SDK configuration for the local emulators (DynamoDB Local, the SQS emulator):
// static dummy credentials and LocalRegion, nothing read from the environment. Pair it with an
// endpoint, e.g. DynamoDB(Local(), "http://127.0.0.1:8000").
func Local() aws.Config {
	return aws.Config{
		Region:      LocalRegion,
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	}
}
